package dev.osprey.ingest.http;

import dev.osprey.core.image.ImageDecoder;
import dev.osprey.core.image.ImageHeaders;
import dev.osprey.core.image.ImageRejectedException;
import dev.osprey.core.image.RejectReason;
import dev.osprey.core.topic.OspreyTopics;
import dev.osprey.ingest.source.ImageSignature;
import io.javalin.http.Context;
import io.javalin.http.UploadedFile;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * One uploaded image, checked with the classifier's own decoder and ready to publish: the bytes
 * as sent, with headers that say what they are.
 *
 * @param id      the id the client chose, if any
 * @param value   the image bytes, unchanged
 * @param headers {@code content-type} (from the signature for PNG/JPEG/BMP; raw pixels with their
 *                dimensions), {@code source}, and {@code label} when given
 */
record ImageUpload(Optional<String> id, byte[] value, Headers headers) {

    /** Room for the multipart boundaries and text fields around an image of the largest size. */
    static final int MULTIPART_SLACK = 64 * 1024;

    static final Set<String> ENCODED_TYPES = Set.of(ImageHeaders.PNG, "image/x-png", ImageHeaders.JPEG,
            "image/jpg", "image/pjpeg", ImageHeaders.BMP, "image/x-bmp", "image/x-ms-bmp");
    /**
     * Types under which the bytes are sniffed: none ({@code curl -T}), the generic binary type,
     * and the form type {@code curl --data-binary} sends by default.
     */
    static final Set<String> SNIFFED_TYPES = Set.of("", "application/octet-stream",
            "application/x-www-form-urlencoded");
    static final String MULTIPART = "multipart/form-data";

    private static final int NAME_MAX = 200;

    /**
     * Reads the image of a request: the raw body, or the {@code image} file of a multipart form.
     *
     * @param name      the name in the path ({@code PUT /images/shoe.png}), or null
     * @param maxPixels the pixel budget: an encoded image declaring more is refused (413) from its
     *                  header, before it is decoded
     * @throws ApiError 400, 413 or 415 saying what is wrong, in one line
     */
    static ImageUpload read(Context ctx, String name, long maxPixels) {
        String type = Requests.mediaType(ctx.contentType());
        if (type.equals(MULTIPART)) {
            return multipart(ctx, maxPixels);
        }
        Optional<String> id = Requests.optionalId(ctx.queryParam("id"));
        Optional<Integer> label = Requests.optionalLabel(ctx.queryParam("label"));
        checkType(type);
        byte[] bytes = Requests.body(ctx, OspreyTopics.IMAGE_MAX_BYTES, "image");
        return of(ctx, id, label, type, bytes, name, maxPixels);
    }

    private static ImageUpload multipart(Context ctx, long maxPixels) {
        Requests.checkLength(ctx, (long) OspreyTopics.IMAGE_MAX_BYTES + MULTIPART_SLACK, "multipart form");
        UploadedFile file = imageField(ctx);
        if (file == null) {
            throw ApiError.badRequest("the multipart form has no file field named 'image'");
        }
        Optional<String> id = Requests.optionalId(firstNonNull(ctx.formParam("id"), ctx.queryParam("id")));
        Optional<Integer> label = Requests.optionalLabel(firstNonNull(ctx.formParam("label"),
                ctx.queryParam("label")));
        if (file.size() > OspreyTopics.IMAGE_MAX_BYTES) {
            throw ApiError.tooLarge("image of " + file.size() + " bytes is larger than the limit of "
                    + OspreyTopics.IMAGE_MAX_BYTES + " bytes");
        }
        String type = Requests.mediaType(file.contentType());
        checkType(type);
        byte[] bytes;
        try (InputStream in = file.content()) {
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw ApiError.badRequest("could not read the 'image' field: " + e.getMessage());
        }
        return of(ctx, id, label, type, bytes, file.filename(), maxPixels);
    }

    /** The {@code image} file of the form; Jetty's own limit and parse errors become 413 and 400. */
    private static UploadedFile imageField(Context ctx) {
        try {
            return ctx.uploadedFile("image");
        } catch (Exception e) {
            // Jetty reports a chunked form over its limit as "bad multipart", caused by "max ... exceeded".
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t.getMessage() != null && t.getMessage().contains("exceeded")) {
                    throw ApiError.tooLarge("the multipart form is larger than the limit of "
                            + (OspreyTopics.IMAGE_MAX_BYTES + MULTIPART_SLACK) + " bytes");
                }
            }
            Throwable root = e;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            throw ApiError.badRequest("the multipart form cannot be read: " + root.getMessage());
        }
    }

    private static void checkType(String type) {
        if (!ENCODED_TYPES.contains(type) && !SNIFFED_TYPES.contains(type) && !type.equals(ImageHeaders.RAW)) {
            throw ApiError.unsupportedType("content-type '" + Requests.shorten(type) + "' is not an image type: send "
                    + "image/png, image/jpeg, image/bmp, " + ImageHeaders.RAW + " (with width, height, channels), "
                    + "application/octet-stream, or a multipart form with an 'image' file");
        }
    }

    private static ImageUpload of(Context ctx, Optional<String> id, Optional<Integer> label, String type,
                                  byte[] bytes, String name, long maxPixels) {
        if (bytes.length == 0) {
            throw ApiError.badRequest("the request has no image: the body is empty");
        }
        Optional<Integer> width = Requests.positive(ctx, ImageHeaders.WIDTH);
        Optional<Integer> height = Requests.positive(ctx, ImageHeaders.HEIGHT);
        Optional<Integer> channels = Requests.positive(ctx, ImageHeaders.CHANNELS);
        boolean raw = type.equals(ImageHeaders.RAW) || width.isPresent() || height.isPresent() || channels.isPresent();
        RecordHeaders headers = new RecordHeaders();
        try {
            if (raw) {
                if (ENCODED_TYPES.contains(type)) {
                    throw ApiError.badRequest("width, height and channels describe raw pixels, but the content-type is "
                            + type);
                }
                if (width.isEmpty() || height.isEmpty()) {
                    throw ApiError.badRequest("raw pixels need width and height (query parameters or headers); "
                            + "channels is 1 (gray) unless given");
                }
                ImageHeaders.put(headers, ImageHeaders.CONTENT_TYPE, ImageHeaders.RAW);
                ImageHeaders.put(headers, ImageHeaders.WIDTH, Integer.toString(width.get()));
                ImageHeaders.put(headers, ImageHeaders.HEIGHT, Integer.toString(height.get()));
                ImageHeaders.put(headers, ImageHeaders.CHANNELS, Integer.toString(channels.orElse(1)));
                ImageDecoder.decode(bytes, headers);
            } else if (ENCODED_TYPES.contains(type)) {
                ImageHeaders.put(headers, ImageHeaders.CONTENT_TYPE, type);
                ImageDecoder.decode(bytes, headers, maxPixels);
                // Declared and actual format may differ (a JPEG sent as image/png): name what it is.
                ImageHeaders.put(headers, ImageHeaders.CONTENT_TYPE, ImageSignature.contentType(bytes).orElse(type));
            } else {
                sniffed(bytes, headers, maxPixels);
            }
        } catch (ImageRejectedException e) {
            int status = e.reason() == RejectReason.TOO_LARGE ? 413 : 400;
            throw new ApiError(status, "not a usable image (" + e.reason().id() + "): " + oneLine(e.getMessage()));
        }
        ImageHeaders.put(headers, ImageHeaders.SOURCE, source(name));
        label.ifPresent(l -> ImageHeaders.put(headers, ImageHeaders.LABEL, Integer.toString(l)));
        return new ImageUpload(id, bytes, headers);
    }

    /** No type given: an encoded image by its signature, else raw pixels of a default size. */
    private static void sniffed(byte[] bytes, RecordHeaders headers, long maxPixels)
            throws ImageRejectedException {
        if (ImageDecoder.looksEncoded(bytes)) {
            try {
                ImageDecoder.decodeEncoded(bytes, maxPixels);
                ImageHeaders.put(headers, ImageHeaders.CONTENT_TYPE, ImageSignature.contentType(bytes)
                        .orElseThrow(() -> new IllegalStateException("decoded, yet no signature")));
                return;
            } catch (ImageRejectedException e) {
                // The classifier's decoder takes some raw-sized values that start like a JPEG or
                // BMP as raw pixels; decide exactly as it does, below.
            }
        }
        ImageHeaders.describeRaw(headers, ImageDecoder.decode(bytes, null, maxPixels));
    }

    private static String source(String name) {
        if (name == null || name.isBlank()) {
            return "http";
        }
        String clean = name.replaceAll("\\p{Cntrl}", "_");
        return "http:" + (clean.length() <= NAME_MAX ? clean : clean.substring(0, NAME_MAX));
    }

    /** A decoder's message (ImageIO's may span lines) as one line of a reply. */
    private static String oneLine(String message) {
        return message == null ? "" : message.replaceAll("\\s+", " ").trim();
    }

    private static String firstNonNull(String a, String b) {
        return a != null ? a : b;
    }
}
