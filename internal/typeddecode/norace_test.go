//go:build !race

package typeddecode_test

const raceEnabled = false
