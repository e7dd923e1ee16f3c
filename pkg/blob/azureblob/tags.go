package azureblob

// TagKeys are the metadata keys copied into blob index tags.
var TagKeys = []string{"incident", "app", "instance", "pid", "dump_type"}

// maxTagValue is Azure's limit on a tag value's length.
const maxTagValue = 256

// tagsFrom derives blob index tags from metadata: the TagKeys present, with
// characters tags do not allow (anything but letters, digits, space and
// + - . / : = _) replaced by '_', cut to 256 bytes. Nil when none apply.
func tagsFrom(md map[string]string) map[string]string {
	var tags map[string]string
	for _, k := range TagKeys {
		v, ok := md[k]
		if !ok {
			continue
		}
		if tags == nil {
			tags = make(map[string]string, len(TagKeys))
		}
		tags[k] = tagValue(v)
	}
	return tags
}

func tagValue(v string) string {
	b := []byte(v[:min(len(v), maxTagValue)])
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == ' ', c == '+', c == '-', c == '.', c == '/', c == ':', c == '=', c == '_':
		default:
			b[i] = '_'
		}
	}
	return string(b)
}
