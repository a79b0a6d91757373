package kerberoast

import (
	"fmt"
	"testing"

	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
)

// tgs is a kerberos.log TGS exchange of 10.66.0.66 with the KDC 10.66.0.2.
func tgs(ts float64, i int, service, cipher string, success bool) dt.Line {
	return dt.Rec("kerberos", map[string]any{"ts": ts, "uid": fmt.Sprintf("K%d", i), "id.orig_h": "10.66.0.66", "id.orig_p": 50000 + i,
		"id.resp_h": "10.66.0.2", "id.resp_p": 88, "request_type": "TGS", "client": "alice/CORP.EXAMPLE", "service": service,
		"success": success, "cipher": cipher})
}

// TestFires: RC4 tickets of six services in a minute are Kerberoasting,
// reported once.
func TestFires(t *testing.T) {
	var l []dt.Line
	for i := range 6 {
		l = append(l, tgs(1000+float64(i)*5, i, fmt.Sprintf("MSSQLSvc/db%d.corp.example:1433", i), "rc4-hmac", true))
		l = append(l, tgs(1001+float64(i)*5, 50+i, fmt.Sprintf("MSSQLSvc/db%d.corp.example:1433", i), "rc4-hmac", true)) // again: counted once
	}
	alerts := dt.Run(t, New(DefaultConfig()), l)
	if len(alerts) != 1 {
		t.Fatalf("alerts %+v", alerts)
	}
	a := dt.Expect(t, alerts, Class, "10.66.0.66", "10.66.0.2", "service_count", 5)
	if fmt.Sprint(a.Evidence["accounts"]) != "[alice/CORP.EXAMPLE]" {
		t.Errorf("evidence %v", a.Evidence)
	}
}

// TestQuiet: AES tickets of many services (a busy workstation), RC4
// tickets of few, refused requests, the TGT and services spread over
// hours are no Kerberoasting.
func TestQuiet(t *testing.T) {
	var l []dt.Line
	for i := range 20 {
		l = append(l, tgs(1000+float64(i), i, fmt.Sprintf("cifs/fs%d.corp.example", i), "aes256-cts-hmac-sha1-96", true))
	}
	for i := range 4 {
		l = append(l, tgs(2000+float64(i), 100+i, fmt.Sprintf("http/web%d", i), "rc4-hmac", true))
	}
	for i := range 10 {
		l = append(l, tgs(3000+float64(i), 200+i, fmt.Sprintf("host/h%d", i), "rc4-hmac", false))
		l = append(l, tgs(3000+float64(i), 300+i, "krbtgt/CORP.EXAMPLE", "rc4-hmac", true))
	}
	for i := range 10 {
		l = append(l, tgs(10000+float64(i)*700, 400+i, fmt.Sprintf("ldap/dc%d", i), "rc4-hmac", true))
	}
	dt.Quiet(t, dt.Run(t, New(DefaultConfig()), l))
}

// TestBounded: past MaxClients the client seen longest ago is dropped.
func TestBounded(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxClients = 3
	d := New(cfg)
	var l []dt.Line
	for i := range 10 {
		l = append(l, dt.Rec("kerberos", map[string]any{"ts": 1000 + float64(i), "uid": fmt.Sprintf("B%d", i),
			"id.orig_h": fmt.Sprintf("10.66.1.%d", i), "id.orig_p": 50000, "id.resp_h": "10.66.0.2", "id.resp_p": 88,
			"request_type": "TGS", "service": "svc/x", "success": true, "cipher": "rc4-hmac"}))
	}
	dt.Run(t, d, l)
	if len(d.clients) > 3 {
		t.Fatalf("%d clients", len(d.clients))
	}
}

// asFact is an "_krb_as" fact of 10.66.0.66's AS exchange for user.
func asFact(ts float64, i int, user, cipher string, preauth bool) dt.Line {
	return dt.Rec("_krb_as", map[string]any{"ts": ts, "uid": fmt.Sprintf("A%d", i), "id.orig_h": "10.66.0.66", "id.orig_p": 50000 + i,
		"id.resp_h": "10.66.0.2", "id.resp_p": 88, "user": user, "realm": "CORP.EXAMPLE", "preauth": preauth, "cipher": cipher})
}

// TestASRepRoasting: an RC4 AS-REP to a request without pre-authentication
// is AS-REP roasting; pre-authenticated logins, AES replies (an MIT
// realm's first requests go without pre-authentication) are not.
func TestASRepRoasting(t *testing.T) {
	alerts := dt.Run(t, New(DefaultConfig()), []dt.Line{
		asFact(1000, 1, "svc_legacy", "rc4-hmac", false),
		asFact(1001, 2, "svc_legacy", "rc4-hmac", false),
		asFact(1002, 3, "svc_old", "rc4-hmac", false),
	})
	if len(alerts) != 1 {
		t.Fatalf("alerts %+v", alerts)
	}
	a := dt.Expect(t, alerts, ASRepClass, "10.66.0.66", "10.66.0.2", "account_count", 2)
	if fmt.Sprint(a.Evidence["accounts"]) != "[svc_legacy svc_old]" {
		t.Errorf("evidence %v", a.Evidence)
	}
	dt.Quiet(t, dt.Run(t, New(DefaultConfig()), []dt.Line{
		asFact(900, 0, "nneul", "des-cbc-crc", false), // one user's own login, in 1999
		asFact(901, 9, "nneul", "des-cbc-crc", false),
		asFact(1000, 1, "alice", "rc4-hmac", true),
		asFact(1001, 2, "bob", "aes256-cts-hmac-sha1-96", false),
		asFact(1002, 3, "", "rc4-hmac", false),
	}))
}
