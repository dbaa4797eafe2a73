"""The README's story of `rootwalk check` (issue 15), played on a running Lab:
video-platform.com moves from ns1/ns2.dnshost.net to ns1/ns2.newdns.net, which hold a copy of the
zone from the start (zones/lab.conf), as a new DNS host does before the delegation changes.

    story = MoveStory(lab)
    story.during()   # the zone's new version (NS set and address of the new host) is loaded by
                     # every server but ns2.newdns.net, which is behind (a secondary that missed
                     # the change); com. delegates to the new servers
    story.after()    # ns2.newdns.net loads it too: every server agrees
    story.undo()     # the lab as it was: com. and the zone put back on every server

tests/integration/test_check.py asserts what `rootwalk check` finds at each step;
scripts/check_story.py prints it for the README.
"""

from rwlab.zonefiles import set_rrset

VP = "video-platform.com."
OLD_NS = ["ns1.dnshost.net.", "ns2.dnshost.net."]
NEW_NS = ["ns1.newdns.net.", "ns2.newdns.net."]
NEW_ADDRS = {"ns1.newdns.net.": "127.3.9.1", "ns2.newdns.net.": "127.3.9.2"}
OLD_A, NEW_A = "203.0.113.42", "203.0.113.142"
BEHIND = "ns2.newdns.net"  # lab.conf's name of the server at 127.3.9.2
BEHIND_ADDR = "127.3.9.2"


class MoveStory:
    def __init__(self, lab):
        self.lab = lab
        self.saved = {}
        for zone in (VP, "com."):
            self.saved[zone] = (lab.zone_text(zone),
                                lab.signer.unsigned_text(zone) if lab.signed(zone) else None)
        self.old_serial = lab.zone_serial(VP, "ns1.dnshost.net")
        self.new_serial = None

    def during(self):
        """The new version of the zone on every server but BEHIND; com. delegates to NEW_NS.
        Returns the new serial."""
        z = self.lab.read_zone(VP)
        set_rrset(z, VP, "NS", 86400, *NEW_NS)
        set_rrset(z, VP, "A", 300, NEW_A)
        others = [s.name for s in self.lab.servers_of(VP) if s.name != BEHIND]
        self.new_serial = self.lab.write_zone(VP, z, servers=others)
        com = self.lab.read_zone("com.")
        set_rrset(com, VP, "NS", 172800, *NEW_NS)
        self.lab.write_zone("com.", com)
        return self.new_serial

    def after(self):
        """BEHIND loads the new version too."""
        self.lab.write_zone_text(VP, self.lab.zone_text(VP), servers=[BEHIND])

    def undo(self):
        """Put com. and the zone back as they were, on every server."""
        for zone, (text, unsigned) in self.saved.items():
            if unsigned is not None:
                self.lab.signer.keep_unsigned(zone, unsigned)
            self.lab.write_zone_text(zone, text)
