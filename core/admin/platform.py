# Platform resources (settings, media, media storage, custom statuses and lists) register here.
