package peunwind

// EpilogForTest exposes the epilog recogniser to the external tests.
func EpilogForTest(code []byte) ([]epilogStep, bool) { return epilog(code) }
