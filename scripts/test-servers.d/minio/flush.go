// Added by roadie's scripts/test-servers to the MinIO it builds for tests (package cmd, next to
// api-response.go, where trackingResponseWriter is declared).
//
// Every S3 API handler's response writer is wrapped in a trackingResponseWriter, which does not
// implement http.Flusher. The bucket-notification listener (ListenNotificationHandler) flushes
// through xhttp.Flush, a type assertion to http.Flusher, so with the wrapper its flushes are
// no-ops: events sit in the server's buffer and the client sees none until the buffer fills or the
// connection closes. Forwarding Flush to the wrapped writer restores the event stream.

package cmd

import "net/http"

// Flush forwards to the wrapped writer (through any Unwrap chain of its own).
func (w *trackingResponseWriter) Flush() {
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}
