package dev.osprey.core.image;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ImageEncoderTest {

    @ParameterizedTest
    @ValueSource(ints = {1, 3})
    void pngRoundTripIsExact(int channels) throws Exception {
        RawImage image = TestImages.pattern(31, 17, channels);
        byte[] png = ImageEncoder.png(image);
        assertThat(ImageDecoder.sniff(png)).isEqualTo(ImageDecoder.Format.PNG);
        assertThat(ImageDecoder.decode(png, null)).isEqualTo(image);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3})
    void bmpRoundTripIsExact(int channels) throws Exception {
        RawImage image = TestImages.pattern(31, 17, channels);
        byte[] bmp = ImageEncoder.bmp(image);
        assertThat(ImageDecoder.sniff(bmp)).isEqualTo(ImageDecoder.Format.BMP);
        assertThat(ImageDecoder.decode(bmp, null)).isEqualTo(image);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3})
    void jpegRoundTripIsClose(int channels) throws Exception {
        // Smooth content: JPEG's error on it stays small, and channel order mistakes would not.
        byte[] px = new byte[32 * 32 * channels];
        for (int i = 0; i < 32 * 32; i++) {
            for (int c = 0; c < channels; c++) {
                px[i * channels + c] = (byte) (40 + c * 80 + (i % 32));
            }
        }
        RawImage image = new RawImage(32, 32, channels, px);
        RawImage back = ImageDecoder.decode(ImageEncoder.jpeg(image), null);
        assertThat(back.channels()).isEqualTo(channels);
        assertThat(back.width()).isEqualTo(32);
        for (int i = 0; i < px.length; i++) {
            assertThat(Math.abs((back.pixels()[i] & 0xFF) - (px[i] & 0xFF))).as("byte %d", i).isLessThanOrEqualTo(8);
        }
    }

    @Test
    void rgbBufferedImageHasRedInRed() {
        RawImage red = new RawImage(1, 1, 3, new byte[] {(byte) 200, 10, 20});
        assertThat(ImageEncoder.toBufferedImage(red).getRGB(0, 0) & 0xFFFFFF).isEqualTo(200 << 16 | 10 << 8 | 20);
    }
}
