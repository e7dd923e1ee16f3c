package symbols

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"
)

// Module identifies a module as a minidump names it (pkg/minidump Module plus its CodeView record).
type Module struct {
	CodeFile  string // image path or base name, e.g. `C:\app\test_app.exe`
	CodeID    string // Breakpad code id (TimeDateStamp 8 hex + SizeOfImage hex), may be ""
	DebugFile string // PDB/debug file base name from CodeView, e.g. "test_app.pdb"
	DebugID   string // Breakpad debug id, e.g. "5A9832E5287241C1838ED98914E9B7FF1"
}

// Table is one module's symbols. Addresses are RVAs (relative to the module base).
// A Table is safe for concurrent use.
type Table interface {
	// Function returns the FUNC (or, failing that, PUBLIC) covering rva, with its source line when known.
	Function(rva uint64) (Function, bool)
	// CFI returns the STACK CFI rules in force at rva (the INIT record with every delta up to rva applied).
	// The returned map is the caller's to keep and modify.
	CFI(rva uint64) (CFIRules, bool)
	// FrameInfo returns the STACK WIN record covering rva (x86). Type 4 (FrameData) is preferred over type 0 (FPO).
	FrameInfo(rva uint64) (WinFrameInfo, bool)
}

// Function is the symbol covering an address.
type Function struct {
	Name      string
	Entry     uint64 // RVA of the function (or public symbol) start
	File      string // "" when unknown
	Line      int    // 0 when unknown
	LineEntry uint64 // RVA where the line record starts (Breakpad prints rva-LineEntry as "+ 0x…")
	Public    bool   // from a PUBLIC record (no size, no lines)
	ParamSize uint32 // PUBLIC/FUNC parameter size (Breakpad uses it for x86 scanning)
}

// CFIRules maps a register name (".cfa", ".ra", "$esp", "$ebp", "rbx"...) to a Breakpad postfix expression.
type CFIRules map[string]string

// WinFrameInfo is a STACK WIN record.
type WinFrameInfo struct {
	Type                 int // 0 FPO, 4 FrameData (others are not kept)
	RVA, CodeSize        uint64
	PrologSize           uint32
	EpilogSize           uint32
	ParameterSize        uint32
	SavedRegisterSize    uint32
	LocalSize            uint32
	MaxStackSize         uint32
	HasProgram           bool   // Program is set; otherwise AllocatesBasePointer is meaningful
	Program              string // postfix program (EvalProgram) recovering the caller's registers
	AllocatesBasePointer bool
}

// Store finds a module's symbols. Load returns an error wrapping ErrNotFound when no configured
// location has them. A Store is safe for concurrent use.
type Store interface {
	Load(ctx context.Context, m Module) (Table, error)
}

// ErrNotFound is wrapped by Store.Load when no location in the search path has the module's symbols.
var ErrNotFound = errors.New("symbols: not found")

// Options configures Open. The zero value is usable: see the Default… constants.
type Options struct {
	// CacheDir receives downloaded symbol files, in the same layout as the servers
	// (so it is itself a valid local store). "" = os.UserCacheDir()/dumpflow/symbols.
	// A cache*DIR entry in the search path overrides it for the entries after it.
	CacheDir string
	// MaxDownload is the largest symbol file fetched, in bytes; 0 = DefaultMaxDownload.
	MaxDownload int64
	// Timeout bounds one download, from request to the last byte; 0 = DefaultTimeout.
	Timeout time.Duration
	// HTTPClient is used for downloads; nil = a plain client. Its CheckRedirect is
	// wrapped so credentials never follow a redirect to another host.
	HTTPClient *http.Client
	// MaxMemory bounds the symbol tables kept in memory between Loads, in (estimated)
	// bytes; 0 = DefaultMaxMemory. The least recently used tables are dropped first.
	MaxMemory int64
	// NegativeTTL is how long "not found" is remembered for a module (so a dump with
	// 150 modules without symbols does not ask the servers again for each thread);
	// 0 = DefaultNegativeTTL.
	NegativeTTL time.Duration
	// Getenv, when set, expands $NAME and ${NAME} in the credentials of a server URL
	// (https://${SYMBOLS_TOKEN}@host/path), so secrets need not appear in the search
	// path itself; cmd passes os.Getenv. nil = no expansion.
	Getenv func(string) string
	// Logger receives one line per download and per unusable location; nil = discard.
	Logger *slog.Logger
}

// Defaults for zero Options fields.
const (
	DefaultMaxDownload = 256 << 20
	DefaultTimeout     = 60 * time.Second
	DefaultMaxMemory   = 512 << 20
	DefaultNegativeTTL = 10 * time.Minute
)

// Memory reads process memory for expression evaluation (the stack walker supplies it).
type Memory interface {
	ReadUint(addr uint64, size int) (uint64, error)
}
