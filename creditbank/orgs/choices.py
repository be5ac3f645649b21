from django.db import models
from django.utils.translation import gettext_lazy as _


class OrgKind(models.TextChoices):
    MANAGEMENT = "management", _("Management centre")
    CENTRE = "centre", _("Certification centre")
    SUBCENTRE = "subcentre", _("Sub-centre")
    POINT = "point", _("Acceptance point")


class OrgCategory(models.TextChoices):
    UNIVERSITY = "university", _("University")
    LOCAL = "local", _("Local")
    VOCATIONAL = "vocational", _("Vocational school")
    FARMER = "farmer", _("Farmers")
    INDUSTRY = "industry", _("Industry")


class OrgStatus(models.TextChoices):
    ACTIVE = "active", _("In service")
    SUSPENDED = "suspended", _("Suspended")
    CLOSED = "closed", _("Closed")


class RegionLevel(models.TextChoices):
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    COUNTY = "county", _("County")


# Which kind of node may sit directly under which (the four-level network of the seeds).
CHILD_KINDS: dict[str, tuple[str, ...]] = {
    OrgKind.MANAGEMENT: (OrgKind.CENTRE,),
    OrgKind.CENTRE: (OrgKind.SUBCENTRE, OrgKind.POINT),
    OrgKind.SUBCENTRE: (OrgKind.POINT,),
    OrgKind.POINT: (),
}
