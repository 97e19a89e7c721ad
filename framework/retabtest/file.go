package retabtest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"path"
	"strings"
)

// mimeTypes are the media types of the documents Retab extracts from. The
// table is fixed (mime.TypeByExtension reads the machine's own tables), so
// a delivery is built the same way everywhere.
var mimeTypes = map[string]string{
	".pdf":  "application/pdf",
	".png":  "image/png",
	".jpg":  "image/jpeg",
	".jpeg": "image/jpeg",
	".gif":  "image/gif",
	".webp": "image/webp",
	".tif":  "image/tiff",
	".tiff": "image/tiff",
	".bmp":  "image/bmp",
	".heic": "image/heic",
	".txt":  "text/plain",
	".csv":  "text/csv",
	".md":   "text/markdown",
	".htm":  "text/html",
	".html": "text/html",
	".json": "application/json",
	".xml":  "application/xml",
	".eml":  "message/rfc822",
	".msg":  "application/vnd.ms-outlook",
	".doc":  "application/msword",
	".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	".xls":  "application/vnd.ms-excel",
	".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}

// MIMEType returns the media type file_payload.url carries for a document:
// by the filename's extension for the document formats Retab accepts,
// else sniffed from the bytes (http.DetectContentType, without
// parameters).
func MIMEType(filename string, data []byte) string {
	if t, ok := mimeTypes[strings.ToLower(path.Ext(filename))]; ok {
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
