/*
 * http-json.h -- one JSON request to a provider's REST service: what the
 * http fax gateway and the hybrid-mail driver share.
 *
 * A request is METHOD URL+PATH with "Accept: application/json", the
 * bearer token when there is one, an Idempotency-Key when given (so
 * that sending the same thing again after an unknown outcome finds what
 * the first request made instead of making a second), and a JSON body
 * when given.  The answer must be a JSON object.
 *
 * Errors say what the caller may do: no connection, a timeout, 429 and
 * 5xx are DS_ERROR_TEMPORARY; 404 is DS_ERROR_NOT_FOUND; 409 is
 * DS_ERROR_STATE (the provider's object is past that point); other
 * refusals are DS_ERROR_PERMANENT.  The message carries the status and
 * the start of the answer.
 */
#ifndef DS_HTTP_JSON_H
#define DS_HTTP_JSON_H

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct {
	const char *url;		/* http[s]://host[:port][/base] */
	const char *token;		/* bearer token; NULL: none */
	long timeout_seconds;		/* 0: 30 */
} DsHttpService;

JsonObject *ds_http_json_request (const DsHttpService *service,
				  const char *method, const char *path,
				  const char *idempotency_key,
				  JsonNode *body, GError **error);

/* PDF or TIFF bytes for a JSON body. */
char *ds_http_json_base64 (GBytes *bytes);

G_END_DECLS

#endif
