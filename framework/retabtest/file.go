package retabtest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"path"
	"strings"
)

// documentType returns the media type of the document formats Retab
// extracts from, by extension. The table is fixed (mime.TypeByExtension
// reads the machine's own tables), so a delivery is built the same way
// everywhere.
func documentType(ext string) (string, bool) {
	switch ext {
	case ".pdf":
		return "application/pdf", true
	case ".png":
		return "image/png", true
	case ".jpg", ".jpeg":
		return "image/jpeg", true
	case ".gif":
		return "image/gif", true
	case ".webp":
		return "image/webp", true
	case ".tif", ".tiff":
		return "image/tiff", true
	case ".bmp":
		return "image/bmp", true
	case ".heic":
		return "image/heic", true
	case ".txt":
		return "text/plain", true
	case ".csv":
		return "text/csv", true
	case ".md":
		return "text/markdown", true
	case ".htm", ".html":
		return "text/html", true
	case ".json":
		return "application/json", true
	case ".xml":
		return "application/xml", true
	case ".eml":
		return "message/rfc822", true
	case ".msg":
		return "application/vnd.ms-outlook", true
	case ".doc":
		return "application/msword", true
	case ".docx":
		return "application/vnd.openxmlformats-officedocument.wordprocessingml.document", true
	case ".xls":
		return "application/vnd.ms-excel", true
	case ".xlsx":
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", true
	case ".pptx":
		return "application/vnd.openxmlformats-officedocument.presentationml.presentation", true
	}
	return "", false
}

// MIMEType returns the media type file_payload.url carries for a document:
// by the filename's extension for the document formats Retab accepts,
// else sniffed from the bytes (http.DetectContentType, without
// parameters).
func MIMEType(filename string, data []byte) string {
	if t, ok := documentType(strings.ToLower(path.Ext(filename))); ok {
		return t
	}
	t, _, _ := strings.Cut(http.DetectContentType(data), ";")
	return t
}

// DataURI returns the base64 data URI Retab puts in file_payload.url.
func DataURI(mimeType string, data []byte) string {
	return "data:" + mimeType + ";base64," + base64.StdEncoding.EncodeToString(data)
}

// PDF returns a small, valid one-page PDF that shows lines of text
// (non-ASCII characters become '?'). It is the default document of a
// delivery and a stand-in for a scanned invoice in tests.
func PDF(lines ...string) []byte {
	var text bytes.Buffer
	text.WriteString("BT /F1 12 Tf 72 770 Td 16 TL\n")
	for _, l := range lines {
		text.WriteByte('(')
		for _, r := range l {
			switch {
			case r == '(' || r == ')' || r == '\\':
				text.WriteByte('\\')
				text.WriteRune(r)
			case r < 0x20 || r > 0x7e:
				text.WriteByte('?')
			default:
				text.WriteRune(r)
			}
		}
		text.WriteString(") Tj T*\n")
	}
	text.WriteString("ET\n")

	objects := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", text.Len(), text.String()),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(objects))
	for i, o := range objects {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objects)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objects)+1, xref)
	return b.Bytes()
}
