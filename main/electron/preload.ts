// Electron preload (sandboxed, context-isolated): exposes the contract as window.grainlab.
import { contextBridge, ipcRenderer } from 'electron';
import { buildPreloadApi } from './preload-api';

contextBridge.exposeInMainWorld('grainlab', buildPreloadApi(ipcRenderer));
