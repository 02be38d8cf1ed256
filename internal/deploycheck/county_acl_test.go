package deploycheck

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/gridwatch/gridwatch/gateway/countywire"
)

// countyACLCases is the county tier's access table, case by case: the
// same grants TestCountyNATSPermissions checks on a real nats-server.
func countyACLCases() []aclCase {
	lh := countywire.Topics{County: "qx", Site: "lianhua"}
	ty := countywire.Topics{County: "qx", Site: "taoyuan"}
	var cs []aclCase
	add := func(user, action string, ok bool, topics ...string) {
		for _, tp := range topics {
			cs = append(cs, aclCase{user, action, tp, ok})
		}
	}
	add("lianhua", "publish", true, lh.Events(), lh.Alarm("a-1"), lh.Summary(), lh.Status(), lh.Reply())
	add("lianhua", "publish", false, ty.Events(), ty.Alarm("a-1"), ty.Status(), lh.Down(), ty.Down(),
		"gridwatch/v1/county/qy/site/lianhua/events", "gridwatch/v1/county/qx/site/lianhua/other", "$SYS/x")
	add("lianhua", "subscribe", true, lh.Down())
	add("lianhua", "subscribe", false, ty.Down(), lh.Events(), ty.Events(), "gridwatch/v1/county/qx/site/+/events",
		"gridwatch/v1/county/qx/site/+/down", "#", "gridwatch/v1/county/qx/site/lianhua/#")
	add("county-view-1", "subscribe", true, countywire.CountyFilters("qx")...)
	add("county-view-1", "subscribe", false, "gridwatch/v1/county/qx/site/+/down", "#", "gridwatch/v1/county/qx/#")
	add("county-view-1", "publish", true, lh.Down(), ty.Down())
	add("county-view-1", "publish", false, lh.Events(), lh.Alarm("a-9"), lh.Status(), lh.Reply())
	return cs
}

type aclCase struct {
	user, action, topic string
	allow               bool
}

// TestCountyEMQXACL reads deploy/county/emqx/acl.conf and evaluates each
// case of the county's access table by EMQX's documented rules for file
// authorization: the first rule whose who, action and topic match
// decides; ${username} is replaced by the user name; a subscription's
// filter matches a rule's filter level by level, its wildcards only by
// the rule's; no rule matching is a denial (no_match = deny). It is not
// EMQX (the project cannot run one here): it catches a rule file that
// says something other than the table.
func TestCountyEMQXACL(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "deploy/county/emqx/acl.conf"))
	if err != nil {
		t.Fatal(err)
	}
	rules, err := parseACL(string(b))
	if err != nil {
		t.Fatalf("acl.conf: %v", err)
	}
	if len(rules) < 5 {
		t.Fatalf("acl.conf: %d rules", len(rules))
	}
	for _, c := range countyACLCases() {
		if got := evalACL(rules, c.user, c.action, c.topic); got != c.allow {
			t.Errorf("%s %s %s: allowed %v, want %v", c.user, c.action, c.topic, got, c.allow)
		}
	}
}

// aclRule is one {Permission, Who, Action, Topics} of an EMQX acl.conf.
type aclRule struct {
	allow  bool
	who    any // "all", or []any{"username", "x" | []any{"re", "regex"}}
	action string
	topics []string // nil: every topic
}

// parseACL reads the subset of Erlang terms acl.conf uses: tuples,
// lists, atoms and strings, each rule ending with ".".
func parseACL(src string) ([]aclRule, error) {
	toks, err := aclTokens(src)
	if err != nil {
		return nil, err
	}
	var rules []aclRule
	for len(toks) > 0 {
		term, rest, err := aclTerm(toks)
		if err != nil {
			return nil, err
		}
		if len(rest) == 0 || rest[0] != "." {
			return nil, fmt.Errorf("rule %d: no '.' after it", len(rules)+1)
		}
		toks = rest[1:]
		tup, ok := term.([]any)
		if !ok || len(tup) < 2 {
			return nil, fmt.Errorf("rule %d: not a tuple", len(rules)+1)
		}
		r := aclRule{allow: tup[0] == "allow", who: tup[1], action: "all"}
		if tup[0] != "allow" && tup[0] != "deny" {
			return nil, fmt.Errorf("rule %d: permission %v", len(rules)+1, tup[0])
		}
		if len(tup) >= 3 {
			r.action, _ = tup[2].(string)
		}
		if len(tup) >= 4 {
			list, ok := tup[3].(aclList)
			if !ok {
				return nil, fmt.Errorf("rule %d: topics are not a list", len(rules)+1)
			}
			for _, x := range list {
				s, ok := x.(aclString)
				if !ok {
					return nil, fmt.Errorf("rule %d: topic %v is not a string", len(rules)+1, x)
				}
				r.topics = append(r.topics, string(s))
			}
		}
		rules = append(rules, r)
	}
	return rules, nil
}

type (
	aclList   []any
	aclString string
)

func aclTokens(src string) ([]string, error) {
	var toks []string
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '%':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case unicode.IsSpace(rune(c)):
			i++
		case strings.ContainsRune("{}[],.", rune(c)):
			toks = append(toks, string(c))
			i++
		case c == '"':
			j := strings.IndexByte(src[i+1:], '"')
			if j < 0 {
				return nil, fmt.Errorf("unterminated string at byte %d", i)
			}
			toks = append(toks, src[i:i+j+2])
			i += j + 2
		case c >= 'a' && c <= 'z':
			j := i
			for j < len(src) && (src[j] >= 'a' && src[j] <= 'z' || src[j] == '_') {
				j++
			}
			toks = append(toks, src[i:j])
			i = j
		default:
			return nil, fmt.Errorf("unexpected %q at byte %d", c, i)
		}
	}
	return toks, nil
}

func aclTerm(toks []string) (any, []string, error) {
	if len(toks) == 0 {
		return nil, nil, fmt.Errorf("unexpected end")
	}
	switch t := toks[0]; {
	case t == "{" || t == "[":
		end := map[string]string{"{": "}", "[": "]"}[t]
		var items []any
		rest := toks[1:]
		for len(rest) > 0 && rest[0] != end {
			item, r, err := aclTerm(rest)
			if err != nil {
				return nil, nil, err
			}
			items = append(items, item)
			rest = r
			if len(rest) > 0 && rest[0] == "," {
				rest = rest[1:]
			}
		}
		if len(rest) == 0 {
			return nil, nil, fmt.Errorf("no closing %s", end)
		}
		if t == "[" {
			return aclList(items), rest[1:], nil
		}
		return items, rest[1:], nil
	case strings.HasPrefix(t, `"`):
		return aclString(strings.Trim(t, `"`)), toks[1:], nil
	default:
		return t, toks[1:], nil
	}
}

// evalACL is EMQX's decision for one request: the first matching rule's
// permission, deny when none matches.
func evalACL(rules []aclRule, user, action, topic string) bool {
	for _, r := range rules {
		if !aclWho(r.who, user) || (r.action != "all" && r.action != action) {
			continue
		}
		if r.topics == nil {
			return r.allow
		}
		for _, f := range r.topics {
			f = strings.ReplaceAll(f, "${username}", user)
			if aclTopicMatch(topic, f) {
				return r.allow
			}
		}
	}
	return false
}

func aclWho(who any, user string) bool {
	if who == "all" {
		return true
	}
	tup, ok := who.([]any)
	if !ok || len(tup) != 2 || tup[0] != "username" {
		return false
	}
	switch v := tup[1].(type) {
	case aclString:
		return string(v) == user
	case []any:
		if len(v) == 2 && v[0] == "re" {
			re, ok := v[1].(aclString)
			return ok && regexp.MustCompile(string(re)).MatchString(user)
		}
	}
	return false
}

// aclTopicMatch reports whether topic (a publish topic or a subscribed
// filter, taken literally) is within the rule's filter.
func aclTopicMatch(topic, filter string) bool {
	if strings.HasPrefix(topic, "$") != strings.HasPrefix(filter, "$") {
		return false
	}
	tl, fl := strings.Split(topic, "/"), strings.Split(filter, "/")
	for i, f := range fl {
		if f == "#" {
			return true
		}
		if i >= len(tl) || (f != "+" && f != tl[i]) {
			return false
		}
	}
	return len(tl) == len(fl)
}
