# Admin of the sales pricing models.
