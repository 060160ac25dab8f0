package dev.osprey.ingest;

/** How ingest writes an image into a record value. */
public enum ImageEncoding {
    /** Raw pixels for dataset images; a single image file is sent as the bytes it has. */
    AUTO,
    /** Raw 8-bit pixels with {@code width}, {@code height} and {@code channels} headers. */
    RAW,
    /** A PNG image. */
    PNG
}
