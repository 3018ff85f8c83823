from enum import Enum


class CWE(Enum):
    SQL_INJECTION = {"num": 89, "desc": "SQL built from user input"}
    INSUFFICIENTLY_PROTECTED_CREDENTIALS = {"num": 522, "desc": "credentials kept in clear"}
    IMPROPER_CHECK_OR_HANDLING_OF_EXCEPTIONAL_CONDITIONS = {"num": 703, "desc": "crashes"}
    UNCONTROLLED_RESOURCE_CONSUMPTION = {"num": 400, "desc": "resource exhaustion"}
    IMPROPER_PRIVILEGE_MANAGEMENT = {"num": 269, "desc": "runs with too much privilege"}
    OS_INJECTION = {"num": 78, "desc": "shell commands built from user input"}
