import{Mb as a}from"./chunk-ZRXFXXLP.js";import"./chunk-5BEVYMCJ.js";export{a as default};
