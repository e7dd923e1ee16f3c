package dumpgen_test

import (
	"crypto/sha256"
	"fmt"
	"io"

	"github.com/dumpflow/dumpflow/test/kudusim/dumpgen"
)

// An 8 MiB full dump is generated on demand: its size is known up front
// and the same spec always gives the same bytes.
func ExampleNew() {
	spec := dumpgen.SampleSpec(4120, dumpgen.MiniDumpWithFullMemory|dumpgen.MiniDumpIgnoreInaccessibleMemory, 8<<20)
	d, err := dumpgen.New(spec)
	if err != nil {
		fmt.Println(err)
		return
	}
	head := make([]byte, 4)
	if _, err := d.ReadAt(head, 0); err != nil {
		fmt.Println(err)
		return
	}
	h := sha256.New()
	n, _ := io.Copy(h, d.NewReader())
	again, _ := dumpgen.New(spec)
	fmt.Println(string(head), d.Size(), n, again.SHA256() == [32]byte(h.Sum(nil)))
	// Output: MDMP 8388608 8388608 true
}
