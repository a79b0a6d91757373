// Package all links every application-layer analyzer into the binary:
// importing it runs their registrations (see proto.Register).
package all

import (
	_ "github.com/vigil-nsm/vigil/internal/proto/bacnet"    // bacnet.log, bacnet_discovery.log, bacnet_property.log
	_ "github.com/vigil-nsm/vigil/internal/proto/coap"      // coap.log
	_ "github.com/vigil-nsm/vigil/internal/proto/dhcp"      // dhcp.log
	_ "github.com/vigil-nsm/vigil/internal/proto/dnp3"      // dnp3.log
	_ "github.com/vigil-nsm/vigil/internal/proto/dns"       // dns.log
	_ "github.com/vigil-nsm/vigil/internal/proto/enip"      // enip.log, cip.log, enip_list_identity.log
	_ "github.com/vigil-nsm/vigil/internal/proto/ftp"       // ftp.log
	_ "github.com/vigil-nsm/vigil/internal/proto/http"      // http.log
	_ "github.com/vigil-nsm/vigil/internal/proto/imap"      // no log (conn.log service "imap", then TLS)
	_ "github.com/vigil-nsm/vigil/internal/proto/krb"       // kerberos.log; _krb_auth facts
	_ "github.com/vigil-nsm/vigil/internal/proto/modbus"    // modbus.log
	_ "github.com/vigil-nsm/vigil/internal/proto/mqtt"      // mqtt_connect.log, mqtt_subscribe.log, mqtt_publish.log
	_ "github.com/vigil-nsm/vigil/internal/proto/mysql"     // mysql.log (then TLS, as Zeek); _mysql_server facts
	_ "github.com/vigil-nsm/vigil/internal/proto/ntp"       // ntp.log
	_ "github.com/vigil-nsm/vigil/internal/proto/pop3"      // no log (conn.log service "pop3", then TLS)
	_ "github.com/vigil-nsm/vigil/internal/proto/quic"      // quic.log
	_ "github.com/vigil-nsm/vigil/internal/proto/rdp"       // rdp.log (then TLS, as Zeek)
	_ "github.com/vigil-nsm/vigil/internal/proto/smb"       // ntlm.log (SMB logins)
	_ "github.com/vigil-nsm/vigil/internal/proto/smtp"      // smtp.log
	_ "github.com/vigil-nsm/vigil/internal/proto/snmp"      // snmp.log
	_ "github.com/vigil-nsm/vigil/internal/proto/socks"     // no log (conn.log service "socks", then the protocol inside)
	_ "github.com/vigil-nsm/vigil/internal/proto/ssdp"      // ssdp.log
	_ "github.com/vigil-nsm/vigil/internal/proto/ssh"       // ssh.log
	_ "github.com/vigil-nsm/vigil/internal/proto/telnet"    // no log, no conn.log service (as Zeek); _telnet_auth facts
	_ "github.com/vigil-nsm/vigil/internal/proto/tls"       // ssl.log, x509.log
	_ "github.com/vigil-nsm/vigil/internal/proto/websocket" // no log (http writes websocket.log), then the protocol inside
)
