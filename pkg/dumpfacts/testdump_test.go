package dumpfacts

import (
	"bytes"
	"context"
	"encoding/binary"
	"testing"

	"github.com/dumpflow/dumpflow/pkg/minidump"
	"github.com/dumpflow/dumpflow/test/kudusim/dumpgen"
)

// rawDump is a generated minidump's bytes, patched by tests into dumps
// with the properties they need (what dumpgen itself does not write).
type rawDump []byte

var lee = binary.LittleEndian

// genDump writes the dump dumpgen makes of s.
func genDump(t *testing.T, s dumpgen.Spec) rawDump {
	t.Helper()
	d, err := dumpgen.New(s)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := d.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// stream returns the directory entry offset and the data of the first
// stream of type typ.
func (d rawDump) stream(t *testing.T, typ minidump.StreamType) (entry int, data []byte) {
	t.Helper()
	n, dir := lee.Uint32(d[8:]), lee.Uint32(d[12:])
	for i := uint32(0); i < n; i++ {
		e := int(dir + 12*i)
		if minidump.StreamType(lee.Uint32(d[e:])) == typ {
			size, rva := lee.Uint32(d[e+4:]), lee.Uint32(d[e+8:])
			return e, d[rva : rva+size]
		}
	}
	t.Fatalf("no %s in the dump", typ)
	return 0, nil
}

// thread returns thread i's MINIDUMP_THREAD entry (48 bytes).
func (d rawDump) thread(t *testing.T, i int) []byte {
	_, tl := d.stream(t, minidump.ThreadListStream)
	return tl[4+48*i : 4+48*(i+1)]
}

// appendBlob adds p at the end of the file (8-aligned) and returns its RVA.
func (d *rawDump) appendBlob(p []byte) uint32 {
	for len(*d)%8 != 0 {
		*d = append(*d, 0)
	}
	rva := uint32(len(*d))
	*d = append(*d, p...)
	return rva
}

// addStream appends a stream: its data, then a copy of the directory
// with the new entry, which the header then points to.
func (d *rawDump) addStream(typ minidump.StreamType, p []byte) {
	rva := d.appendBlob(p)
	n, dir := lee.Uint32((*d)[8:]), lee.Uint32((*d)[12:])
	entries := append([]byte(nil), (*d)[dir:dir+12*n]...)
	entries = lee.AppendUint32(entries, uint32(typ))
	entries = lee.AppendUint32(entries, uint32(len(p)))
	entries = lee.AppendUint32(entries, rva)
	newDir := d.appendBlob(entries)
	lee.PutUint32((*d)[8:], n+1)
	lee.PutUint32((*d)[12:], newDir)
}

// analyze parses d and analyzes it with opts.
func (d rawDump) analyze(t *testing.T, opts Options) *Analysis {
	t.Helper()
	r, err := minidump.NewReader(bytes.NewReader(d), int64(len(d)))
	if err != nil {
		t.Fatal(err)
	}
	a, err := Analyze(context.Background(), r, opts)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func newBytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
