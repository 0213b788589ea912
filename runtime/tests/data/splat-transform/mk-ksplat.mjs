// Mirrors GaussianSplats3D's util/create-ksplat.js (the same calls), with three from npm.
import * as G from '@mkkellogg/gaussian-splats-3d';
import * as THREE from 'three';
import * as fs from 'fs';
const [input, output, level, sh] = process.argv.slice(2);
const data = fs.readFileSync(input);
const buf = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
const arr = G.PlyParser.parseToUncompressedSplatArray(buf, parseInt(sh));
const gen = G.SplatBufferGenerator.getStandardGenerator(1, parseInt(level), 0, new THREE.Vector3(0, 0, 0), 5.0, 256);
const sb = gen.generateFromUncompressedSplatArray(arr);
fs.writeFileSync(output, Buffer.from(sb.bufferData));
