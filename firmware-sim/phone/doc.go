// Package phone simulates a staff member's phone: a persistent MQTT
// session (client id phone-{staff}, clean session off) subscribed at QoS 1
// to the staff member's notify topic, printing every escalation it
// receives on one readable line and, if asked, answering each alarm with
// ack / arrive / resolve on its reply topic after a delay.
//
// The scenario runner and the latency bench build on it: OnNotify hands
// them every notification with its receipt time.
package phone
