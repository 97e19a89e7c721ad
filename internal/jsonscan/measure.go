package jsonscan

// Measure returns how deep the JSON text b nests arrays and objects and
// how many values it holds (every object, array, string, number and
// literal; object keys do not count), stopping as soon as either passes
// its limit (then over is true). It is a single pass that allocates
// nothing, run before a parser builds a tree of b: the tree's size
// follows the number of values, not the number of bytes ("{}" is two
// bytes and a map). It does not check that b is JSON: what is not, the
// parser refuses.
func Measure(b []byte, maxDepth, maxValues int) (depth, values int, over bool) {
	return MeasureRuns(b, maxDepth, maxValues, nil)
}

// MeasureRuns is Measure that jumps over the runs p records in strings.
func MeasureRuns(b []byte, maxDepth, maxValues int, p *PlainRuns) (depth, values int, over bool) {
	d := 0
	for i := 0; i < len(b); {
		switch c := b[i]; c {
		case '"':
			end, _, ok := StringRuns(b, i, p)
			if !ok {
				return depth, values, false
			}
			if j := SkipSpace(b, end); j >= len(b) || b[j] != ':' {
				values++
			}
			i = end
		case '{', '[':
			values++
			d++
			depth = max(depth, d)
			i++
		case '}', ']':
			d--
			i++
		case ',', ':', ' ', '\t', '\n', '\r':
			i++
		default:
			values++
			for i++; i < len(b); i++ {
				if c := b[i]; c == ',' || c == ']' || c == '}' || c == ':' || c == '"' || c == '{' || c == '[' || c == ' ' || c == '\t' || c == '\n' || c == '\r' {
					break
				}
			}
		}
		if depth > maxDepth || values > maxValues {
			return depth, values, true
		}
	}
	return depth, values, false
}
