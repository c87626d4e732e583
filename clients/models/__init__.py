from .client import Client
from .people import ClientChannel, ClientContact, ClientLocation, MailUnsubscribe, Speciality, Tag

__all__ = ["Client", "ClientChannel", "ClientContact", "ClientLocation", "MailUnsubscribe", "Speciality", "Tag"]
