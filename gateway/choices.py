"""Gateway enumerations. Response codes are the DUIS 5.4 ``sr:ResponseCode`` values the portal uses, plus
MP169's ``E72`` (R169-8: "device use is Restricted", the next free generic code after DUIS 5.4's E71)."""
from django.db import models


class ResponseCode(models.TextChoices):
    SUCCESS = "I0", "I0 Success"
    ACKNOWLEDGED = "I99", "I99 Acknowledgement: accepted for delivery to the device"
    INVALID_USER_ID = "E1", "E1 User ID not a User ID of the sender for a role eligible for the service reference"
    ROLE_NOT_ALLOWED = "E2", "E2 User role not permitted to send the service reference"
    SIGNATURE_FAILED = "E3", "E3 Request failed the signature check"
    NOT_AUTHORISED_FOR_DEVICE = "E4", "E4 User not authorised to send the service reference to this device"
    DEVICE_STATUS = "E5", "E5 Device SMI status incompatible with the service reference"
    DEVICE_TYPE = "E11", "E11 Service reference variant not applicable to the device type"
    COMMAND_VARIANT = "E12", "E12 Command variant not applicable to the request"
    REPLAYED = "E13", "E13 Request ID counter not greater than the last one accepted from the originator"
    UNKNOWN_DEVICE = "E19", "E19 Device ID not in the SMI"
    UNABLE_TO_COMMUNICATE = "E20", "E20 Communications failure: unable to communicate with the device"
    NO_RESPONSE = "E21", "E21 Communications failure: no response received from the device"
    RESTRICTED = "E72", "E72 Device use is Restricted (MP169)"
    SCHEDULE_NOT_FOUND = "E050201", "E050201 Read Schedule: no schedule of yours with that DSPScheduleID or DeviceID"
    SCHEDULE_NOT_DELETED = "E050301", "E050301 Delete Schedule: no schedule of yours with that DSPScheduleID or DeviceID"
    INVENTORY_DEVICE_NOT_FOUND = "E080201", "E080201 Read Inventory: no device with that Device ID in the SMI"
    INVENTORY_NOTHING_FOUND = "E080202", "E080202 Read Inventory: no device matches the MPxN, UPRN or address"
    MALFORMED = "E100", "E100 Request is not valid DUIS (schema, schema version or header and body disagree)"


SUCCESS_CODES = frozenset({ResponseCode.SUCCESS, ResponseCode.ACKNOWLEDGED})


class Channel(models.TextChoices):
    JSON = "json", "REST (JSON)"
    DUIS = "duis", "DUIS XML"
    GENERATOR = "generator", "Traffic generator"


class SrvCategory(models.TextChoices):
    """Report categories (R169-10): consumption = the MP169 initial restricted list."""

    CONSUMPTION = "consumption", "Consumption data"
    OTHER_DEVICE = "other_device", "Other device"
    NON_DEVICE = "non_device", "Non-device"


class AlertLogName(models.TextChoices):
    SAT = "sat", "SAT log"
    DIAGNOSTICS = "diagnostics", "Diagnostics log"


class AllowList(models.TextChoices):
    SRV = "srv", "SRVs allowed to a restricted device"
    ALERT = "alert", "Alerts allowed from a restricted device"
