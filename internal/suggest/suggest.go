// Package suggest finds how far a mistyped name is from the known ones, for
// the "did you mean" of errors about fields, keys, provider types, flags
// and commands.
package suggest

// maxLen bounds the names compared: no field, type or flag is longer, and
// the distance costs len(a)*len(b).
const maxLen = 64

// Distance is the edit distance of a and b in bytes, counting an insertion,
// a deletion, a substitution or a swap of two neighbours as one edit
// (optimal string alignment): "sned" is one edit from "send". Names longer
// than 64 bytes are far from everything. It does not allocate.
func Distance(a, b string) int {
	if len(a) > maxLen || len(b) > maxLen {
		return 1 << 20
	}
	// Three rows: the one before the previous one is needed for swaps.
	var rows [3][maxLen + 1]int
	prev2, prev, cur := rows[0][:len(b)+1], rows[1][:len(b)+1], rows[2][:len(b)+1]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
