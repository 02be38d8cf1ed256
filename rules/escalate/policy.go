// Package escalate walks an alarm up the grid tree: it resolves who each
// escalation step pages from the device's place in the tree, sends the
// steps on their deadlines until someone acknowledges, and stops at once
// when they do.
package escalate

import (
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

// Step is one level of an escalation policy: After the alarm was raised,
// page the staff of the given roles (each role resolved to the nearest
// ancestor cell of the device that has someone in it), any named staff and
// the members of any named registry groups.
// Repeat, when set, pages the same staff again every Repeat until the
// alarm is acknowledged.
type Step struct {
	After  time.Duration   `yaml:"after" json:"after"`
	Roles  []registry.Role `yaml:"roles" json:"roles"`
	Staff  []string        `yaml:"staff,omitempty" json:"staff,omitempty"`
	Groups []string        `yaml:"groups,omitempty" json:"groups,omitempty"`
	Repeat time.Duration   `yaml:"repeat,omitempty" json:"repeat,omitempty"`
}

// Policy is the ordered steps for one severity. ArriveWithin, when set,
// is the arrive deadline: if an acknowledged alarm has nobody on scene
// ArriveWithin after the ack, everyone paged for it (the acknowledger's
// chain) and the acknowledger are paged again, and again every
// ArriveWithin until someone arrives or it is closed.
type Policy struct {
	Steps        []Step        `yaml:"steps" json:"steps"`
	ArriveWithin time.Duration `yaml:"arrive_within,omitempty" json:"arrive_within,omitempty"`
}

// Policies maps each severity to its policy.
type Policies map[event.Severity]Policy

// DefaultPolicies is the default escalation table (docs/config.md, Escalation).
func DefaultPolicies() Policies {
	return Policies{
		event.Red: {Steps: []Step{
			{After: 0, Roles: []registry.Role{registry.GridMember, registry.SecurityRoom}},
			{After: 60 * time.Second, Roles: []registry.Role{registry.GridLeader, registry.Police}},
			{After: 180 * time.Second, Roles: []registry.Role{registry.CommandCenter}},
		}},
		event.Orange: {Steps: []Step{
			{After: 0, Roles: []registry.Role{registry.SecurityRoom, registry.GridMember}},
			{After: 5 * time.Minute, Roles: []registry.Role{registry.GridLeader, registry.Police}},
			{After: 15 * time.Minute, Roles: []registry.Role{registry.CommandCenter}},
		}},
		event.Yellow: {Steps: []Step{
			{After: 0, Roles: []registry.Role{registry.SecurityRoom}},
			{After: 30 * time.Minute, Roles: []registry.Role{registry.GridLeader}},
		}},
		event.Blue: {Steps: []Step{
			{After: 0, Roles: []registry.Role{registry.SecurityRoom}},
		}},
	}
}
