package dev.osprey.core.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class ImageHeadersTest {

    private static Headers label(String value) {
        Headers h = new RecordHeaders();
        h.add(ImageHeaders.LABEL, value == null ? null : value.getBytes(StandardCharsets.UTF_8));
        return h;
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', nullValues = "NULL", value = {
            "0|0", "7|7", "' 9 '|9", "+3|3", "0012|12", "2147483647|2147483647",
            "2147483648|-1", "99999999999999999999|-1", "-1|-1", "-0|-1", "''|-1", "' '|-1", "+|-1",
            "3.0|-1", "1e2|-1", "seven|-1", "٣|-1", "NULL|-1"})
    void labelIndexReadsNonNegativeDecimalIntegers(String header, int expected) {
        assertThat(ImageHeaders.labelIndex(label(header))).isEqualTo(expected);
        assertThat(ImageHeaders.label(label(header)).orElse(-1)).isEqualTo(expected);
    }

    @Test
    void theLastLabelHeaderCountsAndNoneIsMinusOne() {
        Headers h = label("1");
        h.add(ImageHeaders.LABEL, "4".getBytes(StandardCharsets.UTF_8));
        assertThat(ImageHeaders.labelIndex(h)).isEqualTo(4);
        assertThat(ImageHeaders.labelIndex(new RecordHeaders())).isEqualTo(-1);
        assertThat(ImageHeaders.labelIndex(null)).isEqualTo(-1);
    }

    @Test
    void nonUtf8BytesAreNoLabel() {
        Headers h = new RecordHeaders();
        h.add(ImageHeaders.LABEL, new byte[] {(byte) 0xff, '1'});
        assertThat(ImageHeaders.labelIndex(h)).isEqualTo(-1);
    }
}
