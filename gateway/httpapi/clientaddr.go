package httpapi

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// proxies are the reverse proxies (http.trusted_proxies) whose
// X-Forwarded-For the server believes. Empty, it believes none: the
// client is the TCP peer whatever the request says.
type proxies []netip.Prefix

// parseProxies reads http.trusted_proxies: IP addresses and CIDR blocks.
func parseProxies(list []string) (proxies, error) {
	var out proxies
	for i, s := range list {
		p, err := ParseTrustedProxy(s)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy [%d]: %w", i, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// ParseTrustedProxy reads one http.trusted_proxies entry: an IP address
// (10.0.0.5, ::1) or a CIDR block (10.0.0.0/8, fd00::/8). A block's host
// bits are ignored (10.1.2.3/8 is 10.0.0.0/8).
func ParseTrustedProxy(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil || p.Addr().Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("%q: want an IP address or a CIDR block such as 127.0.0.1 or 10.0.0.0/8", s)
		}
		return unmapPrefix(p).Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("%q: want an IP address or a CIDR block such as 127.0.0.1 or 10.0.0.0/8", s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// unmapPrefix turns a block of IPv4-mapped IPv6 addresses
// (::ffff:10.0.0.0/104) into its IPv4 block, as addresses are compared
// unmapped.
func unmapPrefix(p netip.Prefix) netip.Prefix {
	if !p.Addr().Is4In6() || p.Bits() < 96 {
		return p
	}
	return netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
}

// trusts reports whether a is one of the proxies.
func (ps proxies) trusts(a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// client resolves who sent a request that reached the server from the TCP
// peer remote (host:port) with the X-Forwarded-For header values xff. A
// peer that is not a trusted proxy is the client: whatever it says of
// others is ignored (anyone can write the header). A trusted proxy's
// header is walked from the right, past further trusted proxies, to the
// first address that is not one: the address the last trusted hop saw
// connect. Hops left of it are the client's own words and are ignored. A
// hop that is no IP address ends the walk at the trusted hop right of it,
// as does a header listing trusted proxies only. ok is false when remote
// is no IP address (a request not from a TCP listener).
func (ps proxies) client(remote string, xff []string) (netip.Addr, bool) {
	peer, ok := parseHop(remote)
	if !ok {
		return netip.Addr{}, false
	}
	if len(ps) == 0 || !ps.trusts(peer) {
		return peer, true
	}
	addr := peer
	for i := len(xff) - 1; i >= 0; i-- {
		hops := strings.Split(xff[i], ",")
		for j := len(hops) - 1; j >= 0; j-- {
			hop := strings.TrimSpace(hops[j])
			if hop == "" {
				continue // "a, , b" or a trailing comma: nobody's address
			}
			a, ok := parseHop(hop)
			if !ok {
				return addr, true
			}
			addr = a
			if !ps.trusts(a) {
				return addr, true
			}
		}
	}
	return addr, true
}

// parseHop reads an address as a peer or a forwarding proxy writes it:
// 192.0.2.1, 192.0.2.1:4711, 2001:db8::1 or [2001:db8::1]:4711. Zones
// are dropped and IPv4-mapped IPv6 addresses read as IPv4.
func parseHop(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.WithZone("").Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().WithZone("").Unmap(), true
	}
	return netip.Addr{}, false
}

// clientAddr is the client's IP address as the server keys it — in audit
// lines, login throttling and logs — resolved through the trusted
// proxies (see proxies.client); an IPv6 client is known by its /64, the
// block one household or host is given. Every use of the client's address
// goes through here.
func (s *Server) clientAddr(r *http.Request) string {
	a, ok := s.proxies.client(r.RemoteAddr, r.Header.Values("X-Forwarded-For"))
	if !ok {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		return clip(host)
	}
	if a.Is6() {
		return netip.PrefixFrom(a, 64).Masked().String()
	}
	return a.String()
}
