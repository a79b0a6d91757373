package assets

import (
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// IoT and ICS logs: SSDP announcements, MQTT sessions, CoAP exchanges,
// Modbus, DNP3 and BACnet requests.

// iotRec holds the fields of the ssdp, mqtt_*, coap, modbus, dnp3 and
// bacnet records the inventory reads.
type iotRec struct {
	ts                     float64
	uid                    string
	id                     connID
	method, st, nt, nts    string
	usn, location, server  string
	userAgent              string
	clientID, status       string
	userPresent            bool
	action                 string
	topics                 []string
	topic                  string
	fromClient             bool
	granted                uint64
	ack, hasAck            bool
	code, uriPath          string
	respCode               string
	fn, fcRequest, fcReply string
	pduType, pduService    string
	subFunction            string
	source, destination    netip.Addr
	// a device's identity: Modbus Read Device Identification
	vendorName, productCode, revision, productName, modelName string
	// and EtherNet/IP List Identity
	deviceType, serial, proto string
	socketAddress             netip.Addr
	isOrig                    bool
}

func (inv *Inventory) decodeIoT(line []byte, r *iotRec) error {
	*r = iotRec{}
	f, err := inv.fields(line)
	if err != nil {
		return err
	}
	for _, fl := range inv.leadingIDs(f, &r.ts, &r.uid, &r.id) {
		k, v := f.Key(fl), value{f.Value(fl)}
		switch string(k) {
		case "ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p":
			inv.takeID(&r.ts, &r.uid, &r.id, k, v)
		case "method":
			r.method = inv.intern(v)
		case "st":
			r.st = v.str()
		case "nt":
			r.nt = v.str()
		case "nts":
			r.nts = inv.intern(v)
		case "usn":
			r.usn = v.str()
		case "location":
			r.location = v.str()
		case "server":
			r.server = v.str()
		case "user_agent":
			r.userAgent = v.str()
		case "client_id":
			r.clientID = v.str()
		case "connect_status":
			r.status = inv.intern(v)
		case "username_present":
			r.userPresent = v.bool()
		case "action":
			r.action = inv.intern(v)
		case "topics":
			r.topics = v.strs(64)
		case "topic":
			r.topic = v.str()
		case "from_client":
			r.fromClient = v.bool()
		case "granted_qos_level":
			r.granted = v.uint()
		case "ack":
			r.ack, r.hasAck = v.bool(), true
		case "code":
			r.code = inv.intern(v)
		case "uri_path":
			r.uriPath = v.str()
		case "response_code":
			r.respCode = inv.intern(v)
		case "func":
			r.fn = inv.intern(v)
		case "fc_request":
			r.fcRequest = inv.intern(v)
		case "fc_reply":
			r.fcReply = inv.intern(v)
		case "pdu_type":
			r.pduType = inv.intern(v)
		case "pdu_service":
			r.pduService = inv.intern(v)
		case "sub_function":
			r.subFunction = inv.intern(v)
		case "vendor_name":
			r.vendorName = v.str()
		case "product_code":
			r.productCode = v.str()
		case "revision":
			r.revision = v.str()
		case "product_name":
			r.productName = v.str()
		case "model_name":
			r.modelName = v.str()
		case "device_type":
			r.deviceType = v.str()
		case "serial_number":
			r.serial = v.str()
		case "socket_address":
			r.socketAddress = inv.addr(v)
		case "is_orig":
			r.isOrig = v.bool()
		case "proto":
			r.proto = inv.intern(v)
		case "source_h":
			r.source = inv.addr(v)
		case "destination_h":
			r.destination = inv.addr(v)
		}
	}
	return nil
}

// answered tells whether a modbus or dnp3 record shows the responder
// answering in the protocol: Vigil's modbus.log has a record per PDU
// (pdu_type RESP for the server's), Zeek's one per answered message (no
// pdu_type); dnp3.log names the reply's function code.
func (r *iotRec) answered(log string) bool {
	if log == "modbus" {
		return r.pduType == "RESP" || r.pduType == ""
	}
	return r.fcReply != ""
}

func (r *iotRec) obs(log, proto, service string) obs {
	return obs{log: log, uid: r.uid, ts: r.ts, proto: proto, service: service, id: r.id}
}

// offer records a service a host offers and observes it ("offers",
// "offers.service" rules: roles, exposure findings).
func (inv *Inventory) offer(e *ipEntity, proto string, port uint16, name string, o obs) *serviceState {
	if e == nil {
		return nil
	}
	s := e.service(proto, port, o.ts)
	if s == nil {
		return nil
	}
	if s.Name == "" {
		s.Name = name
	}
	inv.observeOn(e, &o, "offers", proto+"/"+strconv.Itoa(int(port)), "id.resp_p")
	if name != "" {
		inv.observeOn(e, &o, "offers.service", name, "")
	}
	return s
}

// --- SSDP ---

func (inv *Inventory) onSSDP(line []byte) error {
	var r iotRec
	if err := inv.decodeIoT(line, &r); err != nil {
		return err
	}
	o := r.obs("ssdp", "udp", "ssdp")
	o.with("method", r.method)
	if r.method == "M-SEARCH" {
		cp := inv.sender(r.id.origH, r.ts)
		inv.observeOn(cp, &o, "ssdp.user_agent", r.userAgent, "user_agent")
		return nil
	}
	dev := inv.sender(r.ssdpDevice(), r.ts)
	if dev == nil || r.nts == "ssdp:byebye" {
		return nil
	}
	o.with("location", r.location).with("server", r.server)
	if s := inv.offer(dev, "udp", 1900, "ssdp", o); s != nil && r.server != "" {
		s.Banner = r.server
		s.Software, s.Version = parseSoftware(r.server, "ssdp")
	}
	if host, port, ok := locationHostPort(r.location); ok && host == dev.addr && port != 0 {
		if s := dev.service("tcp", port, r.ts); s != nil && s.Name == "" {
			s.Name = "upnp"
		}
	}
	inv.observeOn(dev, &o, "ssdp.server", r.server, "server")
	typ, field := r.nt, "nt"
	if r.method == "response" {
		typ, field = r.st, "st"
	}
	inv.observeOn(dev, &o, "ssdp.type", typ, field)
	inv.observeOn(dev, &o, "ssdp.usn", r.usn, "usn")
	return nil
}

// ssdpDevice returns the device that sent a NOTIFY or a search response:
// the host of its LOCATION URL when that is a side of the connection,
// else the side using port 1900 (the sender, for multicast).
func (r *iotRec) ssdpDevice() netip.Addr {
	if h, _, ok := locationHostPort(r.location); ok && (h == r.id.origH || h == r.id.respH) {
		return h
	}
	switch {
	case r.method == "NOTIFY" || !r.id.respH.IsValid() || r.id.respH.IsMulticast():
		return r.id.origH
	case r.id.origP == 1900 && r.id.respP != 1900:
		return r.id.origH
	}
	return r.id.respH
}

// locationHostPort reads the address and port of a LOCATION URL.
func locationHostPort(loc string) (netip.Addr, uint16, bool) {
	if loc == "" {
		return netip.Addr{}, 0, false
	}
	u, err := url.Parse(loc)
	if err != nil {
		return netip.Addr{}, 0, false
	}
	a, err := netip.ParseAddr(u.Hostname())
	if err != nil {
		return netip.Addr{}, 0, false
	}
	port := uint16(80)
	if p := u.Port(); p != "" {
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil {
			return netip.Addr{}, 0, false
		}
		port = uint16(n)
	}
	return a.Unmap(), port, true
}

// --- MQTT ---

// mqttAuth is how a client connected to a broker.
type mqttAuth struct {
	anonymous, accepted bool
	ev                  Evidence
}

// pendingSub is a wildcard subscription whose CONNECT was not seen yet.
type pendingSub struct {
	o      obs
	broker target
}

func (inv *Inventory) onMQTTConnect(line []byte) error {
	var r iotRec
	if err := inv.decodeIoT(line, &r); err != nil {
		return err
	}
	client, broker := inv.sender(r.id.origH, r.ts), inv.sender(r.id.respH, r.ts)
	o := r.obs("mqtt_connect", "tcp", "mqtt")
	accepted := r.status == "Connection Accepted"
	o.with("connect_status", r.status).with("username_present", strconv.FormatBool(r.userPresent)).with("client_id", r.clientID)
	inv.offer(broker, "tcp", r.id.respP, "mqtt", o)
	inv.observeOn(client, &o, "mqtt.client_id", r.clientID, "client_id")
	verdict := "authenticated"
	if !r.userPresent {
		verdict = "anonymous"
	}
	if accepted {
		verdict += " accepted"
	} else {
		verdict += " refused"
	}
	inv.observeOn(broker, &o, "mqtt.connect", verdict, "username_present")
	if len(inv.mqttAuth) >= maxMQTTConns {
		clear(inv.mqttAuth)
	}
	auth := mqttAuth{anonymous: !r.userPresent, accepted: accepted, ev: o.evidence("", 0)}
	inv.mqttAuth[r.uid] = auth
	inv.resolveMQTTSubs(r.uid, auth)
	return nil
}

func (inv *Inventory) onMQTTSubscribe(line []byte) error {
	var r iotRec
	if err := inv.decodeIoT(line, &r); err != nil {
		return err
	}
	client := inv.sender(r.id.origH, r.ts)
	o := r.obs("mqtt_subscribe", "tcp", "mqtt")
	for _, topic := range r.topics {
		inv.observeOn(client, &o, "mqtt.subscribe_topic", topic, "topics")
	}
	if r.action != "MQTT::SUBSCRIBE" || (r.hasAck && !r.ack) || r.granted == 0x80 {
		return nil
	}
	for _, topic := range r.topics {
		if !wildcardTopic(topic) {
			continue
		}
		w := o
		w.key, w.value, w.field = "mqtt.subscribe", topic, "topics"
		w.with("granted_qos_level", strconv.FormatUint(r.granted, 10))
		sub := pendingSub{o: w, broker: target{addr: r.id.respH}}
		if auth, ok := inv.mqttAuth[r.uid]; ok {
			inv.judgeSub(sub, auth, true)
		} else if len(inv.mqttSubs) < maxMQTTSubs {
			inv.mqttSubs = append(inv.mqttSubs, sub)
		}
	}
	return nil
}

// wildcardTopic reports a filter with the multi-level (#) or single-
// level (+) wildcard.
func wildcardTopic(t string) bool {
	for _, level := range strings.Split(t, "/") {
		if level == "#" || level == "+" {
			return true
		}
	}
	return false
}

// judgeSub raises the finding for a wildcard subscription by a client
// that connected without credentials (or whose CONNECT was never seen).
func (inv *Inventory) judgeSub(s pendingSub, auth mqttAuth, known bool) {
	if known && (!auth.anonymous || !auth.accepted) {
		return
	}
	o := s.o
	if known {
		o.with("auth", "anonymous (CONNECT "+auth.ev.UID+" without user name)")
	} else {
		o.with("auth", "unknown (CONNECT not seen)")
	}
	inv.raise("mqtt_wildcard_subscription", s.broker, &o, o.value, "")
}

func (inv *Inventory) resolveMQTTSubs(uid string, auth mqttAuth) {
	kept := inv.mqttSubs[:0]
	for _, s := range inv.mqttSubs {
		if s.o.uid == uid {
			inv.judgeSub(s, auth, true)
			continue
		}
		kept = append(kept, s)
	}
	inv.mqttSubs = kept
}

func (inv *Inventory) flushMQTTSubs() {
	for _, s := range inv.mqttSubs {
		if auth, ok := inv.mqttAuth[s.o.uid]; ok {
			inv.judgeSub(s, auth, true)
		} else {
			inv.judgeSub(s, mqttAuth{}, false)
		}
	}
	inv.mqttSubs = inv.mqttSubs[:0]
}

func (inv *Inventory) onMQTTPublish(line []byte) error {
	var r iotRec
	if err := inv.decodeIoT(line, &r); err != nil {
		return err
	}
	client, broker := inv.sender(r.id.origH, r.ts), inv.sender(r.id.respH, r.ts)
	o := r.obs("mqtt_publish", "tcp", "mqtt")
	inv.offer(broker, "tcp", r.id.respP, "mqtt", o)
	if r.fromClient {
		inv.observeOn(client, &o, "mqtt.topic", r.topic, "topic")
	}
	return nil
}

// --- CoAP ---

func (inv *Inventory) onCoAP(line []byte) error {
	var r iotRec
	if err := inv.decodeIoT(line, &r); err != nil {
		return err
	}
	serverAddr, clientAddr, port := r.id.respH, r.id.origH, r.id.respP
	if r.id.origP == 5683 && r.id.respP != 5683 { // a response to a multicast request
		serverAddr, clientAddr, port = r.id.origH, r.id.respH, r.id.origP
	}
	o := r.obs("coap", "udp", "coap")
	o.with("code", r.code).with("uri_path", r.uriPath).with("response_code", r.respCode)
	if r.respCode == "" && r.code != "" && !strings.Contains(r.code, ".") {
		// A request nobody answered: the server is not shown to exist.
		inv.observeOn(inv.sender(clientAddr, r.ts), &o, "uses.service", "coap", "code")
		return nil
	}
	server := inv.sender(serverAddr, r.ts)
	inv.offer(server, "udp", port, "coap", o)
	inv.observeOn(server, &o, "coap.uri_path", r.uriPath, "uri_path")
	inv.observeOn(inv.ips[clientAddr], &o, "uses.service", "coap", "code")
	return nil
}

// --- Modbus, DNP3, BACnet ---

// get returns the decoded ICS field named f (the names the ics_writes
// rules may use).
func (r *iotRec) get(f string) string {
	switch f {
	case "func":
		return r.fn
	case "fc_request":
		return r.fcRequest
	case "pdu_type":
		return r.pduType
	case "pdu_service":
		return r.pduService
	case "sub_function":
		return r.subFunction
	}
	return ""
}

// side returns the address a rule's side name designates.
func (r *iotRec) side(name string) netip.Addr {
	switch name {
	case "orig":
		return r.id.origH
	case "resp":
		return r.id.respH
	case "source":
		return r.source
	case "destination":
		return r.destination
	}
	return netip.Addr{}
}

// onICS handles modbus.log and dnp3.log: roles from the connection's
// sides, writes judged against the device's usual masters.
func (inv *Inventory) onICS(log string) func([]byte) error {
	return func(line []byte) error {
		var r iotRec
		if err := inv.decodeIoT(line, &r); err != nil {
			return err
		}
		fn := r.fn
		if log == "dnp3" {
			fn = r.fcRequest
		}
		o := r.obs(log, "tcp", log)
		o.with("func", fn).with("pdu_type", r.pduType)
		server, client := inv.sender(r.id.respH, r.ts), inv.sender(r.id.origH, r.ts)
		switch {
		case !r.answered(log):
			// A request alone makes no server: a host that was sent one
			// and never answered in the protocol is no PLC or outstation.
		case log == "modbus": // DNP3 runs over TCP and UDP: conn.log tells which
			inv.offer(server, "tcp", r.id.respP, log, o)
			inv.identify(server, "tcp", r.id.respP, "modbus", r.vendorName, r.product(), r.revision, o)
		default:
			inv.observeOn(server, &o, "offers.service", log, "")
		}
		inv.observeOn(client, &o, "uses.service", log, "")
		inv.icsRequest(log, &r, o)
		return nil
	}
}

// product is the product a Modbus identification names: its product
// name, else its model, else its product code.
func (r *iotRec) product() string {
	for _, p := range []string{r.productName, r.modelName, r.productCode} {
		if p != "" {
			return p
		}
	}
	return ""
}

// identify records what an ICS device says it is (Modbus Read Device
// Identification, EtherNet/IP List Identity): vendor and product become
// its service's software, the revision its version, and the observation
// proto+".device" ("Schneider Electric BMX P34 2020") names the device.
func (inv *Inventory) identify(e *ipEntity, proto string, port uint16, service, vendor, product, revision string, o obs) {
	id := strings.TrimSpace(strings.TrimSpace(vendor) + " " + strings.TrimSpace(product))
	if e == nil || id == "" {
		return
	}
	banner := id
	if revision != "" {
		banner += " " + revision
	}
	if s := e.setBanner(proto, port, o.ts, banner, service); s != nil {
		s.Software, s.Version = id, revision
	}
	o.with("vendor", vendor).with("product", product).with("revision", revision)
	inv.observeOn(e, &o, service+".device", id, "product_name")
}

// onENIPIdentity handles enip_list_identity.log: the device that answered
// a List Identity (the connection's originator for an answer to a
// broadcast) is an EtherNet/IP device, named by its vendor and product.
// The address it gives for itself (socket_address) may be another one
// (behind NAT): it is noted, the answering address is the one kept.
func (inv *Inventory) onENIPIdentity(line []byte) error {
	var r iotRec
	if err := inv.decodeIoT(line, &r); err != nil {
		return err
	}
	addr, port := r.id.respH, r.id.respP
	if r.isOrig {
		addr, port = r.id.origH, r.id.origP
	}
	device := inv.sender(addr, r.ts)
	if r.proto == "" {
		r.proto = "tcp"
	}
	o := r.obs("enip_list_identity", r.proto, "enip")
	o.with("device_type", r.deviceType).with("serial_number", r.serial)
	if r.socketAddress.IsValid() {
		o.with("socket_address", r.socketAddress.String())
	}
	inv.offer(device, o.proto, port, "enip", o)
	inv.identify(device, o.proto, port, "enip", r.vendorName, r.productName, r.revision, o)
	return nil
}

func (inv *Inventory) onBACnet(line []byte) error {
	var r iotRec
	if err := inv.decodeIoT(line, &r); err != nil {
		return err
	}
	o := r.obs("bacnet", "udp", "bacnet")
	o.with("pdu_type", r.pduType).with("pdu_service", r.pduService)
	if r.source.IsValid() {
		o.with("source_h", r.source.String())
	}
	if r.destination.IsValid() {
		o.with("destination_h", r.destination.String())
	}
	sender := inv.sender(r.source, r.ts)
	if r.pduType != "" {
		msg := strings.ToLower(r.pduType)
		if r.pduService != "" {
			msg += " " + r.pduService
		}
		inv.observeOn(sender, &o, "bacnet.sent", msg, "pdu_service")
	}
	if strings.HasSuffix(r.pduType, "_ACK") && sender != nil {
		port := r.id.respP
		if r.source == r.id.origH {
			port = r.id.origP
		}
		inv.offer(sender, "udp", port, "bacnet", o)
	}
	inv.icsRequest("bacnet", &r, o)
	return nil
}
