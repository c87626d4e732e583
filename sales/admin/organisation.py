# Admin of the sales organisation models.
