from django.db import models
from django.utils.translation import gettext_lazy as _


class UserKind(models.TextChoices):
    LEARNER = "learner", _("Learner")
    STAFF = "staff", _("Staff")


class IdType(models.TextChoices):
    RESIDENT_ID = "resident_id", _("Resident ID card")
    HMT_RESIDENCE_PERMIT = "hmt_residence_permit", _("Residence permit for Hong Kong, Macao and Taiwan residents")
    HK_MACAU_PERMIT = "hk_macau_permit", _("Mainland travel permit for Hong Kong and Macao residents")
    TAIWAN_PERMIT = "taiwan_permit", _("Mainland travel permit for Taiwan residents")
    PASSPORT = "passport", _("Passport")


class LearnerStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACTIVE = "active", _("Active")
    FROZEN = "frozen", _("Frozen")
    CLOSED = "closed", _("Closed")


class OpeningChannel(models.TextChoices):
    SELF = "self", _("Self-registration")
    COUNTER = "counter", _("At a counter")
    IMPORT = "import", _("Bulk import")


class Gender(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")
    UNKNOWN = "", _("Unknown")


class CodePurpose(models.TextChoices):
    REGISTER = "register", _("Registration")
    ACTIVATE = "activate", _("Activation")
    RESET = "reset", _("Password reset")


# Labels as they appear in import files (Chinese first, then English aliases).
ID_TYPE_ALIASES: dict[str, str] = {
    "居民身份证": IdType.RESIDENT_ID,
    "身份证": IdType.RESIDENT_ID,
    "resident_id": IdType.RESIDENT_ID,
    "id card": IdType.RESIDENT_ID,
    "港澳台居民居住证": IdType.HMT_RESIDENCE_PERMIT,
    "hmt_residence_permit": IdType.HMT_RESIDENCE_PERMIT,
    "港澳居民来往内地通行证": IdType.HK_MACAU_PERMIT,
    "港澳通行证": IdType.HK_MACAU_PERMIT,
    "hk_macau_permit": IdType.HK_MACAU_PERMIT,
    "台湾居民来往大陆通行证": IdType.TAIWAN_PERMIT,
    "台胞证": IdType.TAIWAN_PERMIT,
    "taiwan_permit": IdType.TAIWAN_PERMIT,
    "护照": IdType.PASSPORT,
    "passport": IdType.PASSPORT,
}
