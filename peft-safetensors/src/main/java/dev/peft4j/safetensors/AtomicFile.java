package dev.peft4j.safetensors;

import dev.peft4j.spi.PeftException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A file written all or nothing: data goes to a temporary file in the target's directory, which
 * {@link #commit} forces to disk and renames over the target atomically; {@link #close} without a
 * commit deletes it, leaving the target as it was. A temporary file still pending when the JVM
 * shuts down (Ctrl-C, SIGTERM) is deleted by a shutdown hook.
 */
public final class AtomicFile implements AutoCloseable {

    private static final Set<Path> PENDING = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(AtomicFile::deletePending, "peft4j-atomic-file-cleanup"));
    }

    private final Path target;
    private final Path temporary;
    private final FileChannel channel;
    private boolean committed;

    private AtomicFile(Path target, Path temporary, FileChannel channel) {
        this.target = target;
        this.temporary = temporary;
        this.channel = channel;
    }

    /**
     * Writes a whole file all or nothing.
     *
     * @param target the file to create or replace
     * @param content its bytes
     * @throws PeftException when it cannot be written; the target is then unchanged
     */
    public static void write(Path target, byte[] content) {
        try (AtomicFile file = create(target)) {
            file.write(ByteBuffer.wrap(content), 0);
            file.commit();
        }
    }

    /**
     * Starts writing a file.
     *
     * @param target the file to create or replace
     * @return the open file; commit it, and close it in every case
     * @throws PeftException when the temporary file cannot be created
     */
    static AtomicFile create(Path target) {
        Path absolute = target.toAbsolutePath();
        Path temporary = absolute.resolveSibling("." + absolute.getFileName() + "." + UUID.randomUUID() + ".tmp");
        try {
            // Not Files.createTempFile: its files are private (0600); this one gets the usual umask.
            FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            PENDING.add(temporary);
            return new AtomicFile(absolute, temporary, channel);
        } catch (IOException e) {
            throw new PeftException("Cannot create a temporary file beside " + target + ": " + e, e);
        }
    }

    /**
     * Writes bytes at a position of the file.
     *
     * @param data the bytes, from position to limit; consumed
     * @param position where the first byte goes
     * @throws PeftException when writing fails
     */
    void write(ByteBuffer data, long position) {
        try {
            long at = position;
            while (data.hasRemaining()) {
                at += channel.write(data, at);
            }
        } catch (IOException e) {
            throw new PeftException("Cannot write " + target + " (temporary file " + temporary + "): " + e, e);
        }
    }

    /**
     * Copies a range of another file to a position of this one, by the operating system where it
     * can ({@link FileChannel#transferTo}), without holding the bytes in memory.
     *
     * @param source the file to copy from; its position is left unchanged
     * @param from the first byte to copy
     * @param count how many bytes to copy
     * @param position where the first byte goes
     * @param sourceName the source, for messages
     * @throws PeftException when the source ends early or a file cannot be read or written
     */
    void transferFrom(FileChannel source, long from, long count, long position, Path sourceName) {
        try {
            channel.position(position);
            long done = 0;
            while (done < count) {
                long moved = source.transferTo(from + done, count - done, channel);
                if (moved <= 0) {
                    throw new PeftException(sourceName + " is truncated: it ends before byte " + (from + count)
                            + " while copying to " + target);
                }
                done += moved;
            }
        } catch (IOException e) {
            throw new PeftException(
                    "Cannot copy from " + sourceName + " to " + target + " (temporary file " + temporary + "): " + e,
                    e);
        }
    }

    /**
     * Forces the data to disk and renames the temporary file to the target, replacing it.
     *
     * @throws PeftException when forcing or renaming fails; the target is then unchanged
     */
    void commit() {
        try {
            channel.force(true);
            channel.close();
            Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            committed = true;
            PENDING.remove(temporary);
        } catch (AtomicMoveNotSupportedException e) {
            throw new PeftException("Cannot replace " + target + " atomically on this file system: " + e, e);
        } catch (IOException e) {
            throw new PeftException("Cannot write " + target + ": " + e, e);
        }
    }

    /** Deletes the temporary file unless committed. */
    @Override
    public void close() {
        if (committed) {
            return;
        }
        try {
            channel.close();
            Files.deleteIfExists(temporary);
            PENDING.remove(temporary);
        } catch (IOException e) {
            throw new PeftException("Cannot delete the temporary file " + temporary + ": " + e, e);
        }
    }

    private static void deletePending() {
        for (Path temporary : PENDING) {
            try {
                Files.deleteIfExists(temporary);
            } catch (IOException e) {
                // best effort at shutdown: a leftover is hidden and named for what it is
            }
        }
    }
}
