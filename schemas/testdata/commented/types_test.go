package commented

// TestOnly is in a test file: not extracted.
type TestOnly struct{}
