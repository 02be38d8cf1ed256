// Package access makes the site's card decisions from the registry's card
// list, as the registry is now: whether a card opens a reader (List, the
// OSDP driver's Decider: a reload changes who may enter at once, and
// decisions keep working while the uplink is down), and which cards a
// member of staff may see (Cards, for the HTTP API's card list).
package access
