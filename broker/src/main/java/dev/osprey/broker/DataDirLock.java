package dev.osprey.broker;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An exclusive lock on a broker's data directory, held for the broker's life.
 *
 * <p>Kafka locks its log directories only when the broker part starts, after the controller has
 * already opened the metadata log: a second broker on the same directory then corrupts the first
 * one's metadata log (seen on 4.3.1: the first broker's raft thread fails with a fatal
 * CorruptRecordException). This lock is taken before Kafka touches the directory.
 */
final class DataDirLock implements AutoCloseable {

    private static final String FILE = "osprey-broker.lock";

    private final FileChannel channel;
    private final FileLock lock;

    private DataDirLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /** @throws EmbeddedBrokerException when another broker, in this JVM or another process, holds it */
    static DataDirLock acquire(Path dataDir) {
        FileChannel channel = null;
        try {
            Files.createDirectories(dataDir);
            channel = FileChannel.open(dataDir.resolve(FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = channel.tryLock();
            if (lock == null) {
                throw inUse(dataDir);
            }
            return new DataDirLock(channel, lock);
        } catch (OverlappingFileLockException e) {
            closeQuietly(channel);
            throw inUse(dataDir);
        } catch (IOException e) {
            closeQuietly(channel);
            throw new EmbeddedBrokerException("cannot lock the broker data directory " + dataDir + ": "
                    + e.getMessage(), e);
        } catch (EmbeddedBrokerException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    @Override
    public void close() {
        try {
            lock.release();
        } catch (IOException e) {
            // The channel close below releases it as well.
        }
        closeQuietly(channel);
    }

    private static EmbeddedBrokerException inUse(Path dataDir) {
        return new EmbeddedBrokerException("the broker data directory " + dataDir
                + " is in use by another broker (in this or another process)");
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // nothing left to release
            }
        }
    }
}
