package domain

import (
	"fmt"
	"testing"
)

// TestDistinct: the count of distinct names is close to the truth, and
// names added again are not counted again.
func TestDistinct(t *testing.T) {
	for _, n := range []int{0, 1, 10, 50, 300, 1000, 3000} {
		var d Distinct
		for i := range n {
			for range 3 {
				d.Add(Hash(fmt.Sprintf("name-%d.example.com", i)))
			}
		}
		got := d.Count()
		tol := max(2, n/20) // 5 %; 10 % at 3000, where a standard deviation is 4 %
		if n > 2000 {
			tol = n / 10
		}
		if got < n-tol || got > n+tol {
			t.Errorf("%d distinct names: Count %d", n, got)
		}
	}
}
