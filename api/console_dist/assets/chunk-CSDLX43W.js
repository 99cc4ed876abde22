import{h as t,o}from"./chunk-6E5JI44O.js";var e=t(null);function p(){return o(e)}export{e as a,p as b};
