package minidump

import "fmt"

// StreamType is MINIDUMP_STREAM_TYPE.
type StreamType uint32

// Stream types (minidumpapiset.h; Breakpad's own in the 0x4767 range).
const (
	UnusedStream              StreamType = 0
	ThreadListStream          StreamType = 3
	ModuleListStream          StreamType = 4
	MemoryListStream          StreamType = 5
	ExceptionStream           StreamType = 6
	SystemInfoStream          StreamType = 7
	ThreadExListStream        StreamType = 8
	Memory64ListStream        StreamType = 9
	CommentStreamA            StreamType = 10
	CommentStreamW            StreamType = 11
	HandleDataStream          StreamType = 12
	FunctionTableStream       StreamType = 13
	UnloadedModuleListStream  StreamType = 14
	MiscInfoStream            StreamType = 15
	MemoryInfoListStream      StreamType = 16
	ThreadInfoListStream      StreamType = 17
	HandleOperationListStream StreamType = 18
	TokenStream               StreamType = 19
	JavaScriptDataStream      StreamType = 20
	SystemMemoryInfoStream    StreamType = 21
	ProcessVMCountersStream   StreamType = 22
	IptTraceStream            StreamType = 23
	ThreadNamesStream         StreamType = 24
	BreakpadInfoStream        StreamType = 0x47670001
	BreakpadAssertionStream   StreamType = 0x47670002
)

var streamNames = map[StreamType]string{
	UnusedStream: "UnusedStream", ThreadListStream: "ThreadListStream", ModuleListStream: "ModuleListStream",
	MemoryListStream: "MemoryListStream", ExceptionStream: "ExceptionStream", SystemInfoStream: "SystemInfoStream",
	ThreadExListStream: "ThreadExListStream", Memory64ListStream: "Memory64ListStream",
	CommentStreamA: "CommentStreamA", CommentStreamW: "CommentStreamW", HandleDataStream: "HandleDataStream",
	FunctionTableStream: "FunctionTableStream", UnloadedModuleListStream: "UnloadedModuleListStream",
	MiscInfoStream: "MiscInfoStream", MemoryInfoListStream: "MemoryInfoListStream",
	ThreadInfoListStream: "ThreadInfoListStream", HandleOperationListStream: "HandleOperationListStream",
	TokenStream: "TokenStream", JavaScriptDataStream: "JavaScriptDataStream",
	SystemMemoryInfoStream: "SystemMemoryInfoStream", ProcessVMCountersStream: "ProcessVmCountersStream",
	IptTraceStream: "IptTraceStream", ThreadNamesStream: "ThreadNamesStream",
	BreakpadInfoStream: "BreakpadInfoStream", BreakpadAssertionStream: "BreakpadAssertionInfoStream",
}

func (t StreamType) String() string {
	if s, ok := streamNames[t]; ok {
		return s
	}
	return fmt.Sprintf("StreamType(%#x)", uint32(t))
}
