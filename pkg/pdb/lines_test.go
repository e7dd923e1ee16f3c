package pdb

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

var (
	linesFile  = regexp.MustCompile(`^(\S.*) \((?:MD5|SHA1|SHA256|None)(?:: [0-9A-F]*)?\)\s*$`)
	linesRange = regexp.MustCompile(`^\s+([0-9A-F]{4}):([0-9A-F]{8})-([0-9A-F]{8}), line/addr entries = (\d+)\s*$`)
	linesEntry = regexp.MustCompile(`(\d+) ([0-9A-F]{8})`)
)

// TestLinesMatchLLVM compares Lines with `llvm-pdbutil dump -l`: every
// (file, segment:offset, line) in order, and each line's size, which must
// reach the next line of its function or the function's end as printed in
// the range header.
func TestLinesMatchLLVM(t *testing.T) {
	for _, name := range realPDBNames {
		t.Run(name, func(t *testing.T) {
			f := openShared(t, name)
			type rng struct {
				seg        uint16
				begin, end uint32
			}
			var want []string
			starts := map[rng][]uint32{}
			var file string
			var cur *rng
			for _, l := range expected(t, name, "lines") {
				if m := linesFile.FindStringSubmatch(l); m != nil {
					file = m[1]
					continue
				}
				if m := linesRange.FindStringSubmatch(l); m != nil {
					seg, _ := strconv.ParseUint(m[1], 16, 16)
					b, _ := strconv.ParseUint(m[2], 16, 32)
					e, _ := strconv.ParseUint(m[3], 16, 32)
					cur = &rng{uint16(seg), uint32(b), uint32(e)}
					continue
				}
				if cur == nil || strings.HasPrefix(l, "Mod ") {
					continue
				}
				for _, m := range linesEntry.FindAllStringSubmatch(l, -1) {
					addr, _ := strconv.ParseUint(m[2], 16, 32)
					want = append(want, fmt.Sprintf("%s %04d:%08X line %s", file, cur.seg, addr, m[1]))
					starts[*cur] = append(starts[*cur], uint32(addr))
				}
			}
			if len(want) == 0 {
				t.Fatal("no lines in the expected output")
			}
			// Expected size of the line starting at seg:addr.
			size := map[string]uint32{}
			for r, s := range starts {
				sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
				for i, a := range s {
					next := r.end
					if i+1 < len(s) {
						next = s[i+1]
					}
					size[fmt.Sprintf("%d:%d", r.seg, a)] = next - a
				}
			}
			lines, err := f.Lines()
			if err != nil {
				t.Fatal(err)
			}
			vas := sectionVAs(t, name)
			var got []string
			for _, l := range lines {
				got = append(got, fmt.Sprintf("%s %04d:%08X line %d", l.File, l.Segment, l.Offset, l.Line))
				if w := size[fmt.Sprintf("%d:%d", l.Segment, l.Offset)]; l.Size != w {
					t.Errorf("%s:%d at %d:%#x: size %d, want %d", l.File, l.Line, l.Segment, l.Offset, l.Size, w)
				}
				if w := vas[l.Segment-1] + l.Offset; l.RVA != w {
					t.Errorf("%s:%d: RVA %#x, want %#x", l.File, l.Line, l.RVA, w)
				}
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("lines differ from llvm-pdbutil:\n got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}
