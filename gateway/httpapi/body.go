package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// maxBody is the largest request body accepted.
const maxBody = 64 << 10

// requestError is a bad request with the status to answer it with.
type requestError struct {
	code int
	msg  string
}

func (e *requestError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &requestError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

// decodeBody reads r's JSON object body into dst, strictly: the content
// type must be JSON (so that a cross-site form cannot post without a CORS
// preflight), the body at most maxBody bytes, one object, no unknown
// fields (allowed lists them for the error message). An empty body leaves
// dst as it is.
func decodeBody(w http.ResponseWriter, r *http.Request, dst any, allowed string) error {
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		return &requestError{http.StatusUnsupportedMediaType,
			fmt.Sprintf("request body must be JSON with Content-Type: application/json (got %q)", ct)}
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		if errors.As(err, new(*http.MaxBytesError)) {
			return &requestError{http.StatusRequestEntityTooLarge,
				fmt.Sprintf("request body is larger than %d bytes", maxBody)}
		}
		return badRequest("could not read the request body: %v", err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return badRequest("request body: %s", describeJSONError(err, allowed))
	}
	if _, err := dec.Token(); err != io.EOF {
		return badRequest("request body must hold exactly one JSON object")
	}
	return nil
}

func describeJSONError(err error, allowed string) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("not valid JSON at byte %d: %v", syn.Offset, syn)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return fmt.Sprintf("must be a JSON object, not %s", typ.Value)
		}
		return fmt.Sprintf("field %q must be %s, not %s", typ.Field, typ.Type, typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "JSON ends too early"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return strings.TrimPrefix(err.Error(), "json: ") + " (allowed: " + allowed + ")"
	}
	return err.Error()
}
