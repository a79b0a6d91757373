package rec

import "testing"

func TestURIPath(t *testing.T) {
	for uri, want := range map[string]string{
		"/a/b?x=1":                    "/a/b",
		"/a#frag":                     "/a",
		"http://example.com/p?q#f":    "/p",
		"http://example.com":          "/",
		"https://example.com:8443/x/": "/x/",
		"":                            "",
		"*":                           "*",
	} {
		if got := string(URIPath([]byte(uri))); got != want {
			t.Errorf("URIPath(%q) = %q, want %q", uri, got, want)
		}
	}
}

// TestHTTPRequestByKey: a record without located fields (a Zeek log's)
// is read by key, with the same result as the fields located.
func TestHTTPRequestByKey(t *testing.T) {
	var r Rec
	line := []byte(`{"ts":1700000000.5,"uid":"Cx1","id.orig_h":"10.0.0.1","id.orig_p":40000,"id.resp_h":"10.0.0.2","id.resp_p":8080,"method":"GET","host":"h.example","uri":"/x?y","user_agent":"curl/8","status_code":404}`)
	if err := r.Parse("http", line); err != nil {
		t.Fatal(err)
	}
	q := r.HTTPRequest()
	if q.TS != 1700000000.5 || q.Client.String() != "10.0.0.1" || q.Server.String() != "10.0.0.2" || q.Port != 8080 ||
		string(q.UID) != "Cx1" || string(q.URI) != "/x?y" || string(q.Host) != "h.example" || string(q.UserAgent) != "curl/8" || string(q.Status) != "404" {
		t.Errorf("request %+v", q)
	}
}
