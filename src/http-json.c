/*
 * http-json.c -- JSON requests to providers through libcurl.  See
 * http-json.h.
 */
#include "http-json.h"

#include <curl/curl.h>

#include "ds-error.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CURL, curl_easy_cleanup)

typedef struct curl_slist CurlHeaders;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CurlHeaders, curl_slist_free_all)

static size_t
answer_write_cb (char *data, size_t size, size_t count, void *user_data)
{
	g_byte_array_append (user_data, (const guint8 *) data, size * count);
	return size * count;
}

char *
ds_http_json_base64 (GBytes *bytes)
{
	return g_base64_encode (g_bytes_get_data (bytes, NULL),
				g_bytes_get_size (bytes));
}

static CurlHeaders *
request_headers (const DsHttpService *service, const char *key,
		 gboolean has_body)
{
	CurlHeaders *headers = curl_slist_append (NULL,
						  "Accept: application/json");

	if (service->token != NULL) {
		g_autofree char *line = g_strdup_printf (
			"Authorization: Bearer %s", service->token);

		headers = curl_slist_append (headers, line);
	}
	if (key != NULL) {
		g_autofree char *line = g_strdup_printf (
			"Idempotency-Key: %s", key);

		headers = curl_slist_append (headers, line);
	}
	if (has_body)
		headers = curl_slist_append (headers, "Content-Type: "
					     "application/json");
	return headers;
}

static int
status_code (long status)
{
	if (status == 429 || status >= 500)
		return DS_ERROR_TEMPORARY;
	if (status == 404)
		return DS_ERROR_NOT_FOUND;
	if (status == 409)
		return DS_ERROR_STATE;
	return DS_ERROR_PERMANENT;
}

static JsonObject *
parse_answer (const char *url, GByteArray *answer, GError **error)
{
	g_autoptr (JsonParser) parser = json_parser_new ();
	JsonNode *root;

	if (!json_parser_load_from_data (parser, (const char *) answer->data,
					 answer->len, NULL) ||
	    (root = json_parser_get_root (parser)) == NULL ||
	    !JSON_NODE_HOLDS_OBJECT (root)) {
		g_set_error (error, DS_ERROR, DS_ERROR_TEMPORARY,
			     "%s: the answer is not a JSON object", url);
		return NULL;
	}
	return json_object_ref (json_node_get_object (root));
}

JsonObject *
ds_http_json_request (const DsHttpService *service, const char *method,
		      const char *path, const char *idempotency_key,
		      JsonNode *body, GError **error)
{
	g_autoptr (CURL) curl = curl_easy_init ();
	g_autoptr (CurlHeaders) headers = NULL;
	g_autoptr (GByteArray) answer = g_byte_array_new ();
	g_autofree char *url = g_strconcat (service->url, path, NULL);
	g_autofree char *text = body ? json_to_string (body, FALSE) : NULL;
	long timeout = service->timeout_seconds > 0 ?
		       service->timeout_seconds : 30;
	long status = 0;
	CURLcode result;

	if (curl == NULL) {
		g_set_error (error, DS_ERROR, DS_ERROR_TEMPORARY,
			     "%s: out of memory", url);
		return NULL;
	}
	headers = request_headers (service, idempotency_key, text != NULL);
	if (text != NULL)
		curl_easy_setopt (curl, CURLOPT_POSTFIELDS, text);
	curl_easy_setopt (curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt (curl, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt (curl, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt (curl, CURLOPT_PROTOCOLS,
			  (long) (CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt (curl, CURLOPT_CONNECTTIMEOUT, timeout);
	curl_easy_setopt (curl, CURLOPT_TIMEOUT, timeout);
	curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, answer_write_cb);
	curl_easy_setopt (curl, CURLOPT_WRITEDATA, answer);

	result = curl_easy_perform (curl);
	if (result != CURLE_OK) {
		g_set_error (error, DS_ERROR, DS_ERROR_TEMPORARY, "%s: %s",
			     url, curl_easy_strerror (result));
		return NULL;
	}
	curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status > 299) {
		g_set_error (error, DS_ERROR, status_code (status),
			     "%s: HTTP %ld: %.*s", url, status,
			     (int) MIN (answer->len, 200),
			     (const char *) answer->data);
		return NULL;
	}
	return parse_answer (url, answer, error);
}
