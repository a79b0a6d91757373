// Package all links every application-layer analyzer into the binary:
// importing it runs their registrations (see proto.Register).
package all

import (
	_ "github.com/vigil-nsm/vigil/internal/proto/dns"  // dns.log
	_ "github.com/vigil-nsm/vigil/internal/proto/http" // http.log
	_ "github.com/vigil-nsm/vigil/internal/proto/tls"  // ssl.log, x509.log
)
