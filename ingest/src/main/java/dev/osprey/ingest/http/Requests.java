package dev.osprey.ingest.http;

import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/** Reading and checking the parts of a request the API takes: body, ids, labels, numbers. */
final class Requests {

    /** Ids as the batch ingest makes them ({@code run7/test-00042}), and UUIDs. */
    private static final Pattern ID = Pattern.compile("[\\p{Alnum}._:/-]{1,200}");
    private static final Pattern LABEL = Pattern.compile("\\d{1,9}");

    private Requests() {
    }

    /** The media type of a Content-Type value, lower case, without parameters; "" when absent. */
    static String mediaType(String contentType) {
        if (contentType == null) {
            return "";
        }
        int semicolon = contentType.indexOf(';');
        String type = semicolon < 0 ? contentType : contentType.substring(0, semicolon);
        return type.trim().toLowerCase(Locale.ROOT);
    }

    /**
     * The request body, at most {@code limit} bytes. A declared length over the limit is refused
     * before anything is read; a chunked body is read up to one byte past it.
     */
    static byte[] body(Context ctx, int limit, String what) {
        long declared = ctx.req().getContentLengthLong();
        if (declared > limit) {
            throw ApiError.tooLarge(what + " of " + declared + " bytes is larger than the limit of " + limit + " bytes");
        }
        try (InputStream in = ctx.bodyInputStream()) {
            byte[] bytes = in.readNBytes(limit + 1);
            if (bytes.length > limit) {
                throw ApiError.tooLarge(what + " is larger than the limit of " + limit + " bytes");
            }
            return bytes;
        } catch (IOException e) {
            throw ApiError.badRequest("could not read the request body: " + e.getMessage());
        }
    }

    /** Refuses a request whose declared length is over {@code limit} (for multipart forms). */
    static void checkLength(Context ctx, long limit, String what) {
        long declared = ctx.req().getContentLengthLong();
        if (declared > limit) {
            throw ApiError.tooLarge(what + " of " + declared + " bytes is larger than the limit of " + limit + " bytes");
        }
    }

    /** A checked image id. */
    static String id(String value) {
        if (value == null || !ID.matcher(value).matches()) {
            throw ApiError.badRequest("bad id '" + shorten(value) + "': 1 to 200 letters, digits and . _ : / -");
        }
        return value;
    }

    /** A checked optional id: empty when absent or blank. */
    static Optional<String> optionalId(String value) {
        return value == null || value.isBlank() ? Optional.empty() : Optional.of(id(value.trim()));
    }

    /** A class index: a whole number {@code >= 0}. */
    static int label(String value) {
        String v = value == null ? "" : value.trim();
        if (!LABEL.matcher(v).matches()) {
            throw ApiError.badRequest("bad label '" + shorten(value) + "': a class index, a whole number >= 0");
        }
        return Integer.parseInt(v);
    }

    /** An optional class index: empty when absent or blank. */
    static Optional<Integer> optionalLabel(String value) {
        return value == null || value.isBlank() ? Optional.empty() : Optional.of(label(value));
    }

    /** The query parameter {@code name}, else the request header of that name. */
    static String queryOrHeader(Context ctx, String name) {
        String q = ctx.queryParam(name);
        return q != null ? q : ctx.header(name);
    }

    /** A positive integer parameter (query or header), if present. */
    static Optional<Integer> positive(Context ctx, String name) {
        String v = queryOrHeader(ctx, name);
        if (v == null || v.isBlank()) {
            return Optional.empty();
        }
        try {
            int n = Integer.parseInt(v.trim());
            if (n > 0) {
                return Optional.of(n);
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiError.badRequest("bad " + name + " '" + shorten(v) + "': a whole number > 0");
    }

    /** A value for an error message: never a whole request's worth of text. */
    static String shorten(String value) {
        if (value == null) {
            return "";
        }
        return value.length() <= 60 ? value : value.substring(0, 57) + "...";
    }
}
