package assets

import (
	"fmt"
	"io"
	"testing"
)

// benchLines is a mixed record stream shaped like an office network's:
// mostly conn records (200 local hosts, 2000 remote endpoints, 20 local
// servers), with the
// dns, http, ssl and SYN records that go with them.
func benchLines() (logs []string, lines [][]byte) {
	add := func(log, line string) {
		logs = append(logs, log)
		lines = append(lines, []byte(line))
	}
	for i := 0; i < 4000; i++ {
		src := fmt.Sprintf("10.1.%d.%d", i%200/100, 10+i%100)
		dst := fmt.Sprintf("93.184.%d.%d", i%2000/250, i%250)
		if i%4 == 3 { // a quarter of the connections stay inside
			dst = fmt.Sprintf("10.1.2.%d", i%20)
		}
		uid := fmt.Sprintf("C%011d", i)
		mac := fmt.Sprintf("3c:22:fb:00:%02x:%02x", i%200/100, 10+i%100)
		switch i % 8 {
		case 0:
			add("dns", `{"ts":1700000000.`+fmt.Sprint(100000+i)+`,"uid":"`+uid+`","id.orig_h":"`+src+`","id.orig_p":53000,"id.resp_h":"10.1.0.1","id.resp_p":53,"proto":"udp","trans_id":1,"query":"host`+fmt.Sprint(i%300)+`.example.com","qclass":1,"qclass_name":"C_INTERNET","qtype":1,"qtype_name":"A","rcode":0,"rcode_name":"NOERROR","AA":false,"TC":false,"RD":true,"RA":true,"Z":0,"answers":["`+dst+`"],"TTLs":[300.0],"rejected":false}`)
		case 1:
			add("ssl", `{"ts":1700000000.5,"uid":"`+uid+`","id.orig_h":"`+src+`","id.orig_p":50000,"id.resp_h":"`+dst+`","id.resp_p":443,"version":"TLSv13","cipher":"TLS_AES_128_GCM_SHA256","curve":"x25519","server_name":"api`+fmt.Sprint(i%50)+`.example.com","resumed":false,"established":true,"ssl_history":"CsiI","cert_chain_fps":[],"client_cert_chain_fps":[],"ja3":"0123456789abcdef0123456789abcdef","ja4":"t13d1516h2_8daaf6152771_02713d6af862"}`)
		case 2:
			add("http", `{"ts":1700000000.5,"uid":"`+uid+`","id.orig_h":"`+src+`","id.orig_p":50001,"id.resp_h":"`+dst+`","id.resp_p":80,"trans_depth":1,"method":"GET","host":"www`+fmt.Sprint(i%40)+`.example.com","uri":"/index.html","version":"1.1","user_agent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36","request_body_len":0,"response_body_len":1234,"status_code":200,"status_msg":"OK","tags":[],"resp_mime_types":["text/html"]}`)
		case 3:
			add("_syn", `{"ts":1700000000.5,"v":4,"src":"`+src+`","src_p":50000,"dst":"`+dst+`","dst_p":443,"src_mac":"`+mac+`","ttl":128,"df":true,"ip_len":52,"win":64240,"mss":1460,"wscale":8,"sack_ok":true,"tsopt":false,"opts":"M,N,W,N,N,S","seq":1,"ack":false}`)
		}
		add("conn", `{"ts":1700000000.`+fmt.Sprint(100000+i)+`,"uid":"`+uid+`","id.orig_h":"`+src+`","id.orig_p":`+fmt.Sprint(40000+i%20000)+`,"id.resp_h":"`+dst+`","id.resp_p":443,"proto":"tcp","service":"ssl","duration":1.5,"orig_bytes":1200,"resp_bytes":45000,"conn_state":"SF","missed_bytes":0,"history":"ShADadFf","orig_pkts":20,"orig_ip_bytes":2240,"resp_pkts":40,"resp_ip_bytes":47080,"ip_proto":6,"community_id":"1:abcdefghijklmnopqrstuvwxyz0=","orig_l2_addr":"`+mac+`","resp_l2_addr":"00:00:5e:00:01:01"}`)
	}
	return logs, lines
}

// BenchmarkRecord measures Record's throughput on the mixed stream
// (records/s is the figure the pipeline needs: ≥ 300k).
func BenchmarkRecord(b *testing.B) {
	logs, lines := benchLines()
	inv := newInv(b, nil)
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		for i := range lines {
			inv.Record(logs[i], lines[i])
		}
		n += len(lines)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkConnRecord is conn records alone (the bulk of any stream).
func BenchmarkConnRecord(b *testing.B) {
	logs, lines := benchLines()
	var conn [][]byte
	for i := range lines {
		if logs[i] == "conn" {
			conn = append(conn, lines[i])
		}
	}
	inv := newInv(b, nil)
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		for _, l := range conn {
			inv.Record("conn", l)
		}
		n += len(conn)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkHosts measures building the inventory view.
func BenchmarkHosts(b *testing.B) {
	logs, lines := benchLines()
	inv := newInv(b, nil)
	for i := range lines {
		inv.Record(logs[i], lines[i])
	}
	b.ReportAllocs()
	for b.Loop() {
		inv.Hosts()
	}
}

// BenchmarkWriteHosts measures encoding the inventory view as assets.log.
func BenchmarkWriteHosts(b *testing.B) {
	logs, lines := benchLines()
	inv := newInv(b, nil)
	for i := range lines {
		inv.Record(logs[i], lines[i])
	}
	hosts := inv.Hosts()
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteHosts(io.Discard, hosts); err != nil {
			b.Fatal(err)
		}
	}
}
