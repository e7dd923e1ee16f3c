package autoheal

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkW3CTail parses one 4 MiB read (the reader's bound per file and
// poll) of App Service log lines: throughput and allocations per read.
func BenchmarkW3CTail(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(header(appServiceFields))
	for i := 0; sb.Len() < 4<<20; i++ {
		fmt.Fprintf(&sb, "2026-01-05 06:%02d:%02d CONTOSO GET /api/orders/%d id=%d 443 - 10.0.0.%d Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64) ARRAffinity=0123456789abcdef;+session=abc - contoso.azurewebsites.net 200 0 0 5120 812 %d\r\n",
			i/60%60, i%60, i, i, i%250, i%5000)
	}
	data := []byte(sb.String())
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		var t w3cTail
		t.feed(data, func(e w3cEntry) { n++ })
	}
	if n == 0 {
		b.Fatal("nothing parsed")
	}
}
