import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { contentHash, listImageNames, loadImage } from '../../src/core/images/catalog.ts';

function imagesFixture() {
  const root = mkdtempSync(join(tmpdir(), 'refstack-images-'));
  const images = join(root, 'images');
  mkdirSync(join(images, 'db', 'conf'), { recursive: true });
  writeFileSync(join(images, 'db', 'Dockerfile'), 'ARG BASE_IMAGE=debian:bookworm-slim\nFROM ${BASE_IMAGE}\n');
  writeFileSync(join(images, 'db', 'conf', 'db.conf'), 'a=1\n');
  writeFileSync(join(images, 'db', 'db.ts'), 'export const handle = 1;\n');
  mkdirSync(join(images, 'notes'));
  writeFileSync(join(images, 'notes', 'README.md'), 'not an image\n');
  mkdirSync(join(root, 'app', 'node_modules'), { recursive: true });
  writeFileSync(join(root, 'app', 'main.ts'), 'console.log(1);\n');
  writeFileSync(join(root, 'app', 'node_modules', 'big.js'), '// never sent\n');
  mkdirSync(join(images, 'app'));
  writeFileSync(join(images, 'app', 'Dockerfile'), 'ARG BASE_IMAGE=debian:bookworm-slim\nFROM ${BASE_IMAGE}\n');
  writeFileSync(join(images, 'app', 'image.json'), JSON.stringify({ context: '../..', include: ['app'] }));
  return { root, images };
}

describe('image catalog: one folder per image, rebuilt only when its content changes', () => {
  it('lists only folders with a Dockerfile', () => {
    expect(listImageNames(imagesFixture().images)).toEqual(['app', 'db']);
  });

  it('sends the Dockerfile and config files but not the TypeScript handle', () => {
    const spec = loadImage('db', imagesFixture().images);
    expect(spec.files).toEqual(['Dockerfile', 'conf/db.conf']);
  });

  it('widens the context with image.json, repository code included, node_modules never', () => {
    const spec = loadImage('app', imagesFixture().images);
    expect(spec.files).toEqual(['app/main.ts', 'images/app/Dockerfile', 'images/app/image.json']);
    expect(spec.dockerfile).toBe('images/app/Dockerfile');
  });

  it('changes the hash when a config byte, a file mode or the base changes, and not when the handle changes', () => {
    const { images } = imagesFixture();
    const hash = () => contentHash(loadImage('db', images), 'sha256:base1');
    const first = hash();
    writeFileSync(join(images, 'db', 'db.ts'), 'export const handle = 2;\n');
    expect(hash()).toBe(first);
    writeFileSync(join(images, 'db', 'conf', 'db.conf'), 'a=2\n');
    const second = hash();
    expect(second).not.toBe(first);
    chmodSync(join(images, 'db', 'conf', 'db.conf'), 0o755);
    expect(hash()).not.toBe(second);
    expect(contentHash(loadImage('db', images), 'sha256:base2')).not.toBe(hash());
  });

  it('names the known images when asked for one that does not exist', () => {
    expect(() => loadImage('pgsql', imagesFixture().images)).toThrow(/no image named "pgsql".*Known images: app, db/);
  });
});
