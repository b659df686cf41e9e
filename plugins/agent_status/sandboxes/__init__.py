"""Sandboxes: local imitations of each vendor's contract, fed by the simulator.

Each renders the simulator's truth the way the vendor would (paging, duplicates, local time,
429s...) so connectors are tested against the contract, and ``expected`` says what a correct
import must produce from it.
"""

import importlib

SANDBOXES = {
    "genesys_cloud": "agent_status.sandboxes.genesys_cloud:GenesysCloudSandbox",
    "avaya_cms": "agent_status.sandboxes.avaya_cms:AvayaCmsSandbox",
    "five9": "agent_status.sandboxes.five9:Five9Sandbox",
    "talkdesk": "agent_status.sandboxes.talkdesk:TalkdeskSandbox",
    "ujet": "agent_status.sandboxes.ujet:UjetSandbox",
    "vonage": "agent_status.sandboxes.vonage:VonageSandbox",
    "genesys_engage": "agent_status.sandboxes.genesys_engage:GenesysEngageSandbox",
    "mitel": "agent_status.sandboxes.mitel:MitelSandbox",
    "sikom": "agent_status.sandboxes.generic_sql:SikomSandbox",
    "generic_sql": "agent_status.sandboxes.generic_sql:GenericSqlSandbox",
}


def sandbox_class(vendor: str):
    module_name, class_name = SANDBOXES[vendor].split(":")
    return getattr(importlib.import_module(module_name), class_name)
