# Admin of the sales catalogue models.
