package dev.peft4j.train.data;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The lines of a UTF-8 file, split at {@code \n} (a {@code \r} before it is dropped), each decoded
 * on its own so that a decoding error belongs to the line that has it.
 */
final class Utf8Lines implements Closeable {

    private final InputStream input;
    private final CharsetDecoder decoder = StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    private final byte[] buffer = new byte[1 << 16];
    private int position;
    private int limit;
    private byte[] line = new byte[256];

    /**
     * Opens a file.
     *
     * @param file the file
     * @throws IOException when it cannot be opened ({@link java.nio.file.NoSuchFileException} when
     *     it does not exist)
     */
    Utf8Lines(Path file) throws IOException {
        this.input = Files.newInputStream(file);
    }

    /**
     * The next line.
     *
     * @return the line without its terminator, or null at the end of the file
     * @throws CharacterCodingException when the line is not UTF-8
     * @throws IOException when the file cannot be read
     */
    String next() throws IOException {
        if (position == limit && !fill()) {
            return null;
        }
        int size = 0;
        while (true) {
            int end = position;
            while (end < limit && buffer[end] != '\n') {
                end++;
            }
            int count = end - position;
            if (size + count > line.length) {
                line = Arrays.copyOf(line, Math.max(size + count, line.length * 2));
            }
            System.arraycopy(buffer, position, line, size, count);
            size += count;
            position = end;
            if (end < limit) {
                position++;
                break;
            }
            if (!fill()) {
                break;
            }
        }
        if (size > 0 && line[size - 1] == '\r') {
            size--;
        }
        return decoder.decode(ByteBuffer.wrap(line, 0, size)).toString();
    }

    private boolean fill() throws IOException {
        int read = input.read(buffer);
        while (read == 0) {
            read = input.read(buffer);
        }
        position = 0;
        limit = Math.max(read, 0);
        return read > 0;
    }

    @Override
    public void close() throws IOException {
        input.close();
    }
}
