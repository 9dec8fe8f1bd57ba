package dev.peft4j.safetensors;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Hand-made safetensors bytes, valid or not, for tests. */
final class SafetensorsBytes {

    private SafetensorsBytes() {}

    /**
     * Writes a file: the header's length (little-endian), the header, the data.
     *
     * @param file where to write
     * @param header the JSON header, as is
     * @param data the data section
     * @return the file
     */
    static Path write(Path file, String header, byte[] data) throws IOException {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        return write(file, json.length, json, data);
    }

    /**
     * Writes a file with any declared header length.
     *
     * @param file where to write
     * @param declaredLength the 8-byte length prefix
     * @param header the header bytes
     * @param data the data section
     * @return the file
     */
    static Path write(Path file, long declaredLength, byte[] header, byte[] data) throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        bytes.putLong(declaredLength).put(header).put(data);
        return Files.write(file, bytes.array());
    }

    /**
     * Little-endian float32 values.
     *
     * @param values the values
     * @return their bytes
     */
    static byte[] floats(float... values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float value : values) {
            bytes.putFloat(value);
        }
        return bytes.array();
    }

    /**
     * Little-endian 16-bit values (F16 or BF16 bit patterns).
     *
     * @param values the bit patterns
     * @return their bytes
     */
    static byte[] shorts(int... values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int value : values) {
            bytes.putShort((short) value);
        }
        return bytes.array();
    }

    /**
     * Little-endian float64 values.
     *
     * @param values the values
     * @return their bytes
     */
    static byte[] doubles(double... values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (double value : values) {
            bytes.putDouble(value);
        }
        return bytes.array();
    }
}
